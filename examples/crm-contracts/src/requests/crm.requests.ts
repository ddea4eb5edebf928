import { z } from 'zod';
import { CompanyStatus, DealStage, Industry, Role, SizeRange } from '../enums.ts';

const Name = z.string().trim().min(1).max(200);
const Domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'a domain like acme.com');

export const CreateCompanyInput = z.strictObject({
  name: Name,
  domain: Domain.nullable().default(null),
  industry: Industry,
  size_range: SizeRange,
  status: CompanyStatus.default('Lead'),
  employee_count: z.int().nonnegative().max(10_000_000).default(0),
  /** Default: the caller. */
  owner_id: z.uuid().optional(),
});
export type CreateCompanyInput = z.infer<typeof CreateCompanyInput>;

export const UpdateCompanyInput = z
  .strictObject({
    name: Name,
    domain: Domain.nullable(),
    industry: Industry,
    size_range: SizeRange,
    status: CompanyStatus,
    employee_count: z.int().nonnegative().max(10_000_000),
    owner_id: z.uuid(),
  })
  .partial()
  .refine((value) => Object.keys(value).length > 0, 'at least one field');
export type UpdateCompanyInput = z.infer<typeof UpdateCompanyInput>;

export const CreateContactInput = z.strictObject({
  company_id: z.uuid(),
  first_name: z.string().trim().min(1).max(100),
  last_name: z.string().trim().min(1).max(100),
  email: z.email().max(254),
  phone: z.string().trim().max(40).nullable().default(null),
  job_title: z.string().trim().max(120).nullable().default(null),
  owner_id: z.uuid().optional(),
});
export type CreateContactInput = z.infer<typeof CreateContactInput>;

export const UpdateContactInput = z
  .strictObject({
    company_id: z.uuid(),
    first_name: z.string().trim().min(1).max(100),
    last_name: z.string().trim().min(1).max(100),
    email: z.email().max(254),
    phone: z.string().trim().max(40).nullable(),
    job_title: z.string().trim().max(120).nullable(),
    owner_id: z.uuid(),
  })
  .partial()
  .refine((value) => Object.keys(value).length > 0, 'at least one field');
export type UpdateContactInput = z.infer<typeof UpdateContactInput>;

export const CreateDealInput = z.strictObject({
  company_id: z.uuid(),
  title: Name,
  amount: z.int().nonnegative().max(1_000_000_000),
  primary_contact_id: z.uuid().nullable().default(null),
  expected_close_on: z.iso.date().nullable().default(null),
  owner_id: z.uuid().optional(),
});
export type CreateDealInput = z.infer<typeof CreateDealInput>;

export const UpdateDealInput = z
  .strictObject({
    title: Name,
    amount: z.int().nonnegative().max(1_000_000_000),
    primary_contact_id: z.uuid().nullable(),
    expected_close_on: z.iso.date().nullable(),
    owner_id: z.uuid(),
  })
  .partial()
  .refine((value) => Object.keys(value).length > 0, 'at least one field');
export type UpdateDealInput = z.infer<typeof UpdateDealInput>;

/** Moves a deal along the pipeline; only DEAL_TRANSITIONS are accepted. */
export const MoveDealStageInput = z.strictObject({
  stage: DealStage,
  note: z.string().trim().max(500).nullable().default(null),
});
export type MoveDealStageInput = z.infer<typeof MoveDealStageInput>;

/** Adds an existing user (by email) to the current workspace. */
export const AddMemberInput = z.strictObject({ email: z.email().max(254), role: Role });
export type AddMemberInput = z.infer<typeof AddMemberInput>;

export const UpdateMemberInput = z.strictObject({ role: Role });
export type UpdateMemberInput = z.infer<typeof UpdateMemberInput>;
