import { z } from 'zod';
import { count, countSchema, definePresenter, iso, isoSchema, lastActivity, lastActivitySchema } from '@acme/nest-view-presenter';

/** A CRM deal as the database returns it: counts as strings or null, Date objects, internal columns. */
export interface DealRow {
  id: string;
  title: string;
  status: 'Lead' | 'Proposal Sent' | 'Won' | 'Lost';
  owner_id: string;
  owner_name: string;
  contact_count: string | bigint | null;
  created_at: Date;
  closed_at: Date | null;
  last_activity_kind: 'Email Sent' | 'Call Logged' | null;
  last_activity_at: Date | null;
  last_activity_label: string | null;
  password_hash: string;
}

export const UserRef = z.object({ id: z.string(), name: z.string(), avatar_url: z.string().nullable() });
export const LastActivityView = lastActivitySchema(['Email Sent', 'Call Logged']);

export const DealView = z
  .object({
    id: z.string(),
    title: z.string(),
    summary: z.string().nullable(),
    status: z.enum(['Lead', 'Proposal Sent', 'Won', 'Lost']),
    owner: UserRef,
    contact_count: countSchema(),
    created_at: isoSchema(),
    closed_at: isoSchema().nullable(),
    last_activity: LastActivityView,
  })
  .meta({ id: 'DealView' });

export const DealPresenter = definePresenter(DealView, (row: DealRow) => ({
  id: row.id,
  title: row.title,
  summary: null,
  status: row.status,
  owner: { id: row.owner_id, name: row.owner_name, avatar_url: null },
  contact_count: count(row.contact_count),
  created_at: iso(row.created_at),
  closed_at: iso(row.closed_at),
  last_activity: lastActivity(row.last_activity_kind, row.last_activity_at, row.last_activity_label ?? ''),
}));

export function dealRow(i: number, overrides: Partial<DealRow> = {}): DealRow {
  return {
    id: `deal-${i}`,
    title: `Deal ${i}`,
    status: 'Proposal Sent',
    owner_id: 'user-1',
    owner_name: 'Ada Lovelace',
    contact_count: i % 2 ? String(i) : null,
    created_at: new Date(Date.UTC(2026, 0, 1 + i)),
    closed_at: null,
    last_activity_kind: i % 2 ? 'Email Sent' : null,
    last_activity_at: i % 2 ? new Date(Date.UTC(2026, 1, 1)) : null,
    last_activity_label: i % 2 ? 'Email to Grace Hopper' : null,
    password_hash: 'argon2id$secret',
    ...overrides,
  };
}
