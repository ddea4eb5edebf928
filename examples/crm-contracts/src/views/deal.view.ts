import { z } from 'zod';
import { CompanySummary, ContactSummary, countField, isoDateTime, pageOf, UserSummary } from '../common.ts';
import { Currency, DealStage } from '../enums.ts';

/** Who the deal is with: a named contact, or nobody yet. */
export const DealContact = z
  .discriminatedUnion('kind', [z.object({ kind: z.literal('None') }), z.object({ kind: z.literal('Contact'), contact: ContactSummary })])
  .meta({ id: 'DealContact' });
export type DealContact = z.infer<typeof DealContact>;

export const DealView = z
  .object({
    id: z.uuid(),
    title: z.string(),
    amount: z.int().nonnegative(),
    currency: Currency,
    amount_label: z.string(),
    stage: DealStage,
    is_open: z.boolean(),
    /** The stages this deal may move to next (from the contracts' DEAL_TRANSITIONS). */
    next_stages: z.array(DealStage),
    company: CompanySummary,
    owner: UserSummary,
    primary_contact: DealContact,
    days_in_stage_count: countField(),
    expected_close_on: z.iso.date().nullable(),
    stage_changed_at: isoDateTime(),
    closed_at: isoDateTime().nullable(),
    created_at: isoDateTime(),
    updated_at: isoDateTime(),
  })
  .meta({ id: 'DealView' });
export type DealView = z.infer<typeof DealView>;

export const DealPage = pageOf(DealView);
