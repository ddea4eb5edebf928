import { CreateContactInput, ListContactsQuery, UpdateContactInput } from '@acme-examples/crm-contracts';
import { createZodDto } from 'nestjs-zod';

export class CreateContactDto extends createZodDto(CreateContactInput) {}
export class UpdateContactDto extends createZodDto(UpdateContactInput) {}
export class ListContactsQueryDto extends createZodDto(ListContactsQuery) {}
