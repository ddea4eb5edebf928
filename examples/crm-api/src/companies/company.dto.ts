import { CreateCompanyInput, ListCompaniesQuery, UpdateCompanyInput } from '@acme-examples/crm-contracts';
import { createZodDto } from 'nestjs-zod';

export class CreateCompanyDto extends createZodDto(CreateCompanyInput) {}
export class UpdateCompanyDto extends createZodDto(UpdateCompanyInput) {}
export class ListCompaniesQueryDto extends createZodDto(ListCompaniesQuery) {}
