import { z } from 'zod';
import { AuditStatus, CompanyStatus, DealStage, Industry } from '../enums.ts';

/** Keyset pagination shared by every list. */
export const PageQuery = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

export const ListCompaniesQuery = PageQuery.extend({
  q: z.string().trim().min(1).max(100).optional(),
  status: CompanyStatus.optional(),
  industry: Industry.optional(),
});
export type ListCompaniesQuery = z.infer<typeof ListCompaniesQuery>;

export const ListContactsQuery = PageQuery.extend({
  q: z.string().trim().min(1).max(100).optional(),
  company_id: z.uuid().optional(),
});
export type ListContactsQuery = z.infer<typeof ListContactsQuery>;

export const ListDealsQuery = PageQuery.extend({
  stage: DealStage.optional(),
  company_id: z.uuid().optional(),
  owner_id: z.uuid().optional(),
});
export type ListDealsQuery = z.infer<typeof ListDealsQuery>;

export const ListMembersQuery = PageQuery;
export type ListMembersQuery = z.infer<typeof ListMembersQuery>;

export const AuditSearchQuery = PageQuery.extend({
  subject: z.string().max(60).optional(),
  subject_id: z.string().max(100).optional(),
  action: z.string().max(60).optional(),
  status: AuditStatus.optional(),
  actor_id: z.uuid().optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
});
export type AuditSearchQuery = z.infer<typeof AuditSearchQuery>;
