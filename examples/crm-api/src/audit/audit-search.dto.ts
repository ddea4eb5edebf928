import { AuditSearchQuery } from '@acme-examples/crm-contracts';
import { createZodDto } from 'nestjs-zod';

export class AuditSearchQueryDto extends createZodDto(AuditSearchQuery) {}
