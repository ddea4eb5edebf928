import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CheckAbility } from '@acme/nest-casl';
import { Page, ViewResponse } from '@acme/nest-view-presenter';
import { DealView } from '@acme-examples/crm-contracts';
import { IdParam } from '../common/id-param';
import { CreateDealDto, ListDealsQueryDto, MoveDealStageDto, UpdateDealDto } from './deal.dto';
import { DealPresenter } from './deal.presenter';
import { DealsService } from './deals.service';

@ApiTags('Deals')
@ApiBearerAuth()
@Controller('deals')
export class DealsController {
  constructor(private readonly deals: DealsService) {}

  @Get()
  @CheckAbility('Read', 'Deal')
  @ViewResponse(Page(DealView))
  async list(@Query() query: ListDealsQueryDto) {
    const page = await this.deals.list(query);
    return DealPresenter.toPage(page.rows, { total: page.total, next_cursor: page.nextCursor }, { now: new Date() });
  }

  @Get(':id')
  @CheckAbility('Read', 'Deal')
  @ViewResponse(DealView)
  async get(@IdParam() id: string) {
    return DealPresenter.toView(await this.deals.get(id), { now: new Date() });
  }

  @Post()
  @CheckAbility('Create', 'Deal')
  @ViewResponse(DealView, { status: 201 })
  async create(@Body() body: CreateDealDto) {
    return DealPresenter.toView(await this.deals.create(body), { now: new Date() });
  }

  @Patch(':id')
  @CheckAbility('Update', 'Deal')
  @ViewResponse(DealView)
  async update(@IdParam() id: string, @Body() body: UpdateDealDto) {
    return DealPresenter.toView(await this.deals.update(id, body), { now: new Date() });
  }

  @Post(':id/stage')
  @CheckAbility('Update', 'Deal')
  @ViewResponse(DealView, { status: 200 })
  async moveStage(@IdParam() id: string, @Body() body: MoveDealStageDto) {
    return DealPresenter.toView(await this.deals.moveStage(id, body.stage, body.note), { now: new Date() });
  }

  @Delete(':id')
  @HttpCode(204)
  @CheckAbility('Delete', 'Deal')
  async remove(@IdParam() id: string): Promise<void> {
    await this.deals.remove(id);
  }
}
