import { z } from 'zod';
import { countField, isoDateTime, pageOf, UserSummary } from '../common.ts';
import { CompanyStatus, Currency, GrowthSignalKind, Industry, SizeRange } from '../enums.ts';
import { LastActivity } from './activity.view.ts';

/** Headcount trend over 90 days, computed server-side: `{ kind: 'Growing', label: 'Headcount up 12.5% in 90 days', delta_pct: 12.5 }`. */
export const GrowthSignal = z.object({ kind: GrowthSignalKind, label: z.string(), delta_pct: z.number() }).meta({ id: 'GrowthSignal' });
export type GrowthSignal = z.infer<typeof GrowthSignal>;

export const CompanyView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    domain: z.string().nullable(),
    industry: Industry,
    size_range: SizeRange,
    status: CompanyStatus,
    employee_count: z.int().nonnegative(),
    owner: UserSummary,
    contacts_count: countField(),
    open_deals_count: countField(),
    open_pipeline: z.object({ amount: z.int().nonnegative(), currency: Currency, label: z.string() }),
    growth_signal: GrowthSignal,
    last_activity: LastActivity,
    created_at: isoDateTime(),
    updated_at: isoDateTime(),
  })
  .meta({ id: 'CompanyView' });
export type CompanyView = z.infer<typeof CompanyView>;

export const CompanyPage = pageOf(CompanyView);
