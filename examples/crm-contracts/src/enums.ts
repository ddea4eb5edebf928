import { z } from 'zod';

// Every enum is Title Case: stored = transmitted = displayed, so no code anywhere maps labels.

/** Workspace roles. Inputs to the CASL abilities of the API, never checked directly. */
export const ROLES = ['Admin', 'Operator', 'Pipeline', 'Viewer'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/** Deal pipeline stages, in pipeline order. 'Won' and 'Lost' close a deal. */
export const DEAL_STAGES = ['New', 'Qualified', 'Proposal Sent', 'Negotiation', 'Won', 'Lost'] as const;
export const DealStage = z.enum(DEAL_STAGES);
export type DealStage = z.infer<typeof DealStage>;

/** Stages in which a deal still counts as open pipeline. */
export const OPEN_DEAL_STAGES = ['New', 'Qualified', 'Proposal Sent', 'Negotiation'] as const satisfies readonly DealStage[];

export const COMPANY_STATUSES = ['Lead', 'Prospect', 'Customer', 'Churned'] as const;
export const CompanyStatus = z.enum(COMPANY_STATUSES);
export type CompanyStatus = z.infer<typeof CompanyStatus>;

export const INDUSTRIES = ['Software', 'Manufacturing', 'Healthcare', 'Financial Services', 'Retail', 'Education', 'Logistics', 'Media'] as const;
export const Industry = z.enum(INDUSTRIES);
export type Industry = z.infer<typeof Industry>;

// '1000+' is not Title Case by the suite's rule (isTitleCase rejects '+'), so the open-ended range
// reads '1000 or More': the same string in the database, the API and the UI.
export const SIZE_RANGES = ['1-10', '11-50', '51-200', '201-1000', '1000 or More'] as const;
export const SizeRange = z.enum(SIZE_RANGES);
export type SizeRange = z.infer<typeof SizeRange>;

export const ACTIVITY_KINDS = ['Email Sent', 'Call Logged', 'Meeting Held', 'Note Added', 'Stage Changed'] as const;
export const ActivityKind = z.enum(ACTIVITY_KINDS);
export type ActivityKind = z.infer<typeof ActivityKind>;

export const GROWTH_SIGNAL_KINDS = ['Growing', 'Steady', 'Shrinking', 'No Data'] as const;
export const GrowthSignalKind = z.enum(GROWTH_SIGNAL_KINDS);
export type GrowthSignalKind = z.infer<typeof GrowthSignalKind>;

export const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;
export const Currency = z.enum(CURRENCIES);
export type Currency = z.infer<typeof Currency>;

export const AUDIT_STATUSES = ['Success', 'Failure'] as const;
export const AuditStatus = z.enum(AUDIT_STATUSES);
export type AuditStatus = z.infer<typeof AuditStatus>;
