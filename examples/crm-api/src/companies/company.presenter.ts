import { count, definePresenter, iso, lastActivity } from '@acme/nest-view-presenter';
import { CompanyView, type ActivityKind } from '@acme-examples/crm-contracts';
import { moneyLabel } from '../common/money';
import { toUserSummary, type UserSummaryRow } from '../common/user-summary';
import type { CompanyRow } from '../database/schema';
import { growthSignal } from './growth-signal';

/** A company with what its view shows besides its own columns. */
export interface CompanyAggregate extends CompanyRow {
  owner: UserSummaryRow;
  contactsCount: number;
  openDealsCount: number;
  openPipelineAmount: number;
  lastActivity: { kind: ActivityKind; label: string; occurredAt: Date } | null;
}

export const CompanyPresenter = definePresenter(CompanyView, (row: CompanyAggregate) => ({
  id: row.id,
  name: row.name,
  domain: row.domain,
  industry: row.industry,
  size_range: row.sizeRange,
  status: row.status,
  employee_count: row.employeeCount,
  owner: toUserSummary(row.owner),
  contacts_count: count(row.contactsCount),
  open_deals_count: count(row.openDealsCount),
  open_pipeline: { amount: row.openPipelineAmount, currency: 'EUR' as const, label: moneyLabel(row.openPipelineAmount, 'EUR') },
  growth_signal: growthSignal(row.employeeCount, row.employeeCount90dAgo),
  last_activity: lastActivity(row.lastActivity?.kind, row.lastActivity?.occurredAt, row.lastActivity?.label ?? ''),
  created_at: iso(row.createdAt),
  updated_at: iso(row.updatedAt),
}));
