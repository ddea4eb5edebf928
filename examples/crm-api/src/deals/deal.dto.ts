import { CreateDealInput, ListDealsQuery, MoveDealStageInput, UpdateDealInput } from '@acme-examples/crm-contracts';
import { createZodDto } from 'nestjs-zod';

export class CreateDealDto extends createZodDto(CreateDealInput) {}
export class UpdateDealDto extends createZodDto(UpdateDealInput) {}
export class MoveDealStageDto extends createZodDto(MoveDealStageInput) {}
export class ListDealsQueryDto extends createZodDto(ListDealsQuery) {}
