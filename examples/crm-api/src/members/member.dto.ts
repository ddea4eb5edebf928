import { AddMemberInput, ListMembersQuery, UpdateMemberInput } from '@acme-examples/crm-contracts';
import { createZodDto } from 'nestjs-zod';

export class AddMemberDto extends createZodDto(AddMemberInput) {}
export class UpdateMemberDto extends createZodDto(UpdateMemberInput) {}
export class ListMembersQueryDto extends createZodDto(ListMembersQuery) {}
