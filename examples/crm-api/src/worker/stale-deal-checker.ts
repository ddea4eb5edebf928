import { Audit, AuditService } from '@acme/nest-audit';
import { InjectProducer, type Producer } from '@acme/nest-queues';
import { TenantDb } from '@acme/nest-tenancy';
import { Injectable } from '@nestjs/common';
import { OPEN_DEAL_STAGES } from '@acme-examples/crm-contracts';
import { and, asc, eq, inArray, lt } from 'drizzle-orm';
import { moneyLabel } from '../common/money';
import { activities, deals, memberships, users, workspaces, type Schema } from '../database/schema';
import { emails as emailsQueue } from '../jobs/queues';

const DAY_MS = 86_400_000;

/**
 * One workspace's stale deals (open, no stage change for N days): a 'Note Added' activity on each
 * and a digest email to the workspace's Admins. Runs inside the workspace (TenantDb, RLS).
 */
@Injectable()
export class StaleDealChecker {
  constructor(
    private readonly db: TenantDb<Schema>,
    private readonly audit: AuditService,
    @InjectProducer(emailsQueue) private readonly emails: Producer<typeof emailsQueue>,
  ) {}

  @Audit({ action: 'Flag Stale', subject: 'Deal' })
  async flagStale(staleAfterDays: number): Promise<{ flagged: number }> {
    const now = new Date();
    const stale = await this.db
      .select({
        id: deals.id,
        title: deals.title,
        amount: deals.amount,
        currency: deals.currency,
        companyId: deals.companyId,
        stage: deals.stage,
        since: deals.stageChangedAt,
      })
      .from(deals)
      .where(and(inArray(deals.stage, [...OPEN_DEAL_STAGES]), lt(deals.stageChangedAt, new Date(now.getTime() - staleAfterDays * DAY_MS))))
      .orderBy(asc(deals.stageChangedAt));
    for (const deal of stale) {
      const days = Math.floor((now.getTime() - deal.since.getTime()) / DAY_MS);
      await this.db
        .insert(activities)
        .values({ companyId: deal.companyId, dealId: deal.id, kind: 'Note Added', label: `${deal.title}: no stage change for ${days} days`, occurredAt: now });
    }
    this.audit.describe({ metadata: { flagged: stale.length, staleAfterDays } });
    if (stale.length > 0) {
      const [workspace] = await this.db.select({ name: workspaces.name }).from(workspaces);
      const admins = await this.db
        .select({ email: users.email })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(eq(memberships.role, 'Admin'));
      const lines = stale.map((d) => `${d.title} (${d.stage}, ${moneyLabel(d.amount, d.currency)}) since ${d.since.toISOString().slice(0, 10)}`);
      for (const admin of admins) {
        await this.emails.add({
          to: admin.email,
          template: 'Stale Deals Digest',
          subject: `${workspace?.name ?? 'Your workspace'}: ${stale.length} stale deal(s)`,
          lines,
        });
      }
    }
    return { flagged: stale.length };
  }
}
