import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CheckAbility } from '@acme/nest-casl';
import { Page, ViewResponse } from '@acme/nest-view-presenter';
import { ContactView } from '@acme-examples/crm-contracts';
import { IdParam } from '../common/id-param';
import { CreateContactDto, ListContactsQueryDto, UpdateContactDto } from './contact.dto';
import { ContactPresenter } from './contact.presenter';
import { ContactsService } from './contacts.service';

@ApiTags('Contacts')
@ApiBearerAuth()
@Controller('contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  @Get()
  @CheckAbility('Read', 'Contact')
  @ViewResponse(Page(ContactView))
  async list(@Query() query: ListContactsQueryDto) {
    const page = await this.contacts.list(query);
    return ContactPresenter.toPage(page.rows, { total: page.total, next_cursor: page.nextCursor });
  }

  @Get(':id')
  @CheckAbility('Read', 'Contact')
  @ViewResponse(ContactView)
  async get(@IdParam() id: string) {
    return ContactPresenter.toView(await this.contacts.get(id));
  }

  @Post()
  @CheckAbility('Create', 'Contact')
  @ViewResponse(ContactView, { status: 201 })
  async create(@Body() body: CreateContactDto) {
    return ContactPresenter.toView(await this.contacts.create(body));
  }

  @Patch(':id')
  @CheckAbility('Update', 'Contact')
  @ViewResponse(ContactView)
  async update(@IdParam() id: string, @Body() body: UpdateContactDto) {
    return ContactPresenter.toView(await this.contacts.update(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @CheckAbility('Delete', 'Contact')
  async remove(@IdParam() id: string): Promise<void> {
    await this.contacts.remove(id);
  }
}
