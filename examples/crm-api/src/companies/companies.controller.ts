import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CheckAbility } from '@acme/nest-casl';
import { Page, ViewResponse } from '@acme/nest-view-presenter';
import { CompanyView } from '@acme-examples/crm-contracts';
import { IdParam } from '../common/id-param';
import { CompaniesService } from './companies.service';
import { CreateCompanyDto, ListCompaniesQueryDto, UpdateCompanyDto } from './company.dto';
import { CompanyPresenter } from './company.presenter';

@ApiTags('Companies')
@ApiBearerAuth()
@Controller('companies')
export class CompaniesController {
  constructor(private readonly companies: CompaniesService) {}

  @Get()
  @CheckAbility('Read', 'Company')
  @ViewResponse(Page(CompanyView))
  async list(@Query() query: ListCompaniesQueryDto) {
    const page = await this.companies.list(query);
    return CompanyPresenter.toPage(page.rows, { total: page.total, next_cursor: page.nextCursor });
  }

  @Get(':id')
  @CheckAbility('Read', 'Company')
  @ViewResponse(CompanyView)
  async get(@IdParam() id: string) {
    return CompanyPresenter.toView(await this.companies.get(id));
  }

  @Post()
  @CheckAbility('Create', 'Company')
  @ViewResponse(CompanyView, { status: 201 })
  async create(@Body() body: CreateCompanyDto) {
    return CompanyPresenter.toView(await this.companies.create(body));
  }

  @Patch(':id')
  @CheckAbility('Update', 'Company')
  @ViewResponse(CompanyView)
  async update(@IdParam() id: string, @Body() body: UpdateCompanyDto) {
    return CompanyPresenter.toView(await this.companies.update(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @CheckAbility('Delete', 'Company')
  async remove(@IdParam() id: string): Promise<void> {
    await this.companies.remove(id);
  }
}
