import { count, definePresenter, iso } from '@acme/nest-view-presenter';
import { DEAL_TRANSITIONS, DealView, OPEN_DEAL_STAGES, type DealStage } from '@acme-examples/crm-contracts';
import { moneyLabel } from '../common/money';
import { toUserSummary, type UserSummaryRow } from '../common/user-summary';
import type { DealRow } from '../database/schema';

export interface DealAggregate extends DealRow {
  company: { id: string; name: string; domain: string | null };
  owner: UserSummaryRow;
  contact: { id: string; firstName: string; lastName: string; email: string } | null;
}

const DAY_MS = 86_400_000;
const isOpen = (stage: DealStage) => (OPEN_DEAL_STAGES as readonly DealStage[]).includes(stage);

export const DealPresenter = definePresenter(DealView, (row: DealAggregate, ctx: { now: Date }) => ({
  id: row.id,
  title: row.title,
  amount: row.amount,
  currency: row.currency,
  amount_label: moneyLabel(row.amount, row.currency),
  stage: row.stage,
  is_open: isOpen(row.stage),
  next_stages: [...DEAL_TRANSITIONS[row.stage]],
  company: row.company,
  owner: toUserSummary(row.owner),
  primary_contact: row.contact
    ? {
        kind: 'Contact' as const,
        contact: { id: row.contact.id, full_name: `${row.contact.firstName} ${row.contact.lastName}`, email: row.contact.email },
      }
    : { kind: 'None' as const },
  days_in_stage_count: count(Math.max(0, Math.floor((ctx.now.getTime() - row.stageChangedAt.getTime()) / DAY_MS))),
  expected_close_on: row.expectedCloseOn,
  stage_changed_at: iso(row.stageChangedAt),
  closed_at: iso(row.closedAt),
  created_at: iso(row.createdAt),
  updated_at: iso(row.updatedAt),
}));
