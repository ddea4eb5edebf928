import { Audit, AuditService } from '@acme/nest-audit';
import { Cached } from '@acme/nest-cache';
import { Injectable } from '@nestjs/common';
import { AbilityFactory, accessibleBy, assertCan, type CaslAction } from '@acme/nest-casl';
import { ContextService } from '@acme/nest-context';
import { TenantDb } from '@acme/nest-tenancy';
import { canTransition, OPEN_DEAL_STAGES, type CreateDealInput, type DealStage, type ListDealsQuery, type UpdateDealInput } from '@acme-examples/crm-contracts';
import { and, desc, eq } from 'drizzle-orm';
import { ApiError } from '../common/api-error';
import { DEAL_READ_SUBJECTS } from '../cache/read-subjects';
import { afterCursor, decodeCursor, pageOf } from '../common/cursor';
import { inputColumns, type ColumnMap } from '../common/input-columns';
import { activities, companies, contacts, deals, users, type DealRow, type Schema } from '../database/schema';
import { WorkspaceUsers } from '../members/workspace-users';
import type { DealAggregate } from './deal.presenter';

const joined = {
  deal: deals,
  company: { id: companies.id, name: companies.name, domain: companies.domain },
  owner: { id: users.id, name: users.name, email: users.email, avatarUrl: users.avatarUrl },
  contact: { id: contacts.id, firstName: contacts.firstName, lastName: contacts.lastName, email: contacts.email },
};

/** The column each field of CreateDealInput and UpdateDealInput sets (company_id: creates only, a deal never changes company). */
const DEAL_COLUMNS = {
  company_id: 'companyId',
  title: 'title',
  amount: 'amount',
  primary_contact_id: 'primaryContactId',
  expected_close_on: 'expectedCloseOn',
  owner_id: 'ownerId',
} as const satisfies ColumnMap<CreateDealInput, typeof deals.$inferInsert>;

/** Deals of the current workspace and their stage transitions. TenantDb only. */
@Injectable()
export class DealsService {
  constructor(
    private readonly db: TenantDb<Schema>,
    private readonly abilities: AbilityFactory,
    private readonly context: ContextService,
    private readonly workspaceUsers: WorkspaceUsers,
    private readonly audit: AuditService,
  ) {}

  // Cached per workspace, query and the caller's permissions; any audited write of a subject in
  // DEAL_READ_SUBJECTS makes it stale (src/cache/read-subjects.ts).
  @Cached({ subject: DEAL_READ_SUBJECTS })
  async list(query: ListDealsQuery) {
    const cursor = decodeCursor(query.cursor);
    const where = and(
      accessibleBy(this.abilities.requireCurrent(), 'Read', deals),
      query.stage ? eq(deals.stage, query.stage) : undefined,
      query.company_id ? eq(deals.companyId, query.company_id) : undefined,
      query.owner_id ? eq(deals.ownerId, query.owner_id) : undefined,
    );
    // Sequential: with RLS the request's queries share one transaction (one connection).
    const rows = await this.select()
      .where(and(where, afterCursor(cursor, deals.createdAt, deals.id)))
      .orderBy(desc(deals.createdAt), desc(deals.id))
      .limit(query.limit + 1);
    const total = await this.db.$count(deals, where);
    const page = pageOf(rows.map(toAggregate), query.limit);
    return { ...page, total };
  }

  @Cached({ subject: DEAL_READ_SUBJECTS })
  async get(id: string): Promise<DealAggregate> {
    const deal = await this.load(id, 'Read');
    return this.aggregate(deal.id);
  }

  @Audit({ action: 'Create', subject: 'Deal' })
  async create(input: CreateDealInput): Promise<DealAggregate> {
    await this.db.findOneOrThrow(companies, input.company_id);
    if (input.primary_contact_id) await this.db.findOneOrThrow(contacts, input.primary_contact_id);
    const ownerId = input.owner_id ?? this.context.require().actor.id!;
    await this.workspaceUsers.requireMember(ownerId);
    const [deal] = await this.db
      .insert(deals)
      .values({ ...inputColumns(input, DEAL_COLUMNS), ownerId })
      .returning();
    this.audit.describe({ after: deal });
    return this.aggregate(deal!.id);
  }

  @Audit({ action: 'Update', subject: 'Deal' })
  async update(id: string, input: UpdateDealInput): Promise<DealAggregate> {
    const before = await this.load(id, 'Update');
    if (input.primary_contact_id) await this.db.findOneOrThrow(contacts, input.primary_contact_id);
    if (input.owner_id) await this.workspaceUsers.requireMember(input.owner_id);
    const after = await this.db.updateOrThrow(deals, id, { ...inputColumns(input, DEAL_COLUMNS), updatedAt: new Date() });
    this.audit.describe({ subjectId: after.id, before, after });
    return this.aggregate(after.id);
  }

  /** Moves a deal along DEAL_TRANSITIONS, stamps closed_at for 'Won'/'Lost' and logs a 'Stage Changed' activity. */
  @Audit({ action: 'Stage Change', subject: 'Deal' })
  async moveStage(id: string, stage: DealStage, note: string | null): Promise<DealAggregate> {
    const before = await this.load(id, 'Update');
    if (!canTransition(before.stage, stage)) {
      throw new ApiError('DEAL_INVALID_TRANSITION', `A deal in '${before.stage}' cannot move to '${stage}'.`, [
        { path: 'stage', message: 'Not an allowed next stage' },
      ]);
    }
    const now = new Date();
    const open = (OPEN_DEAL_STAGES as readonly DealStage[]).includes(stage);
    await this.db.updateOrThrow(deals, id, { stage, stageChangedAt: now, closedAt: open ? null : now, updatedAt: now });
    this.audit.describe({ subjectId: before.id, before: { stage: before.stage }, after: { stage }, metadata: { note } });
    await this.db.insert(activities).values({
      companyId: before.companyId,
      contactId: before.primaryContactId,
      dealId: id,
      kind: 'Stage Changed',
      label: note ? `${before.title} moved to ${stage}: ${note}` : `${before.title} moved to ${stage}`,
      actorId: this.context.require().actor.id,
      occurredAt: now,
    });
    return this.aggregate(id);
  }

  @Audit({ action: 'Delete', subject: 'Deal' })
  async remove(id: string): Promise<void> {
    const deal = await this.load(id, 'Delete');
    await this.db.deleteOrThrow(deals, id);
    this.audit.describe({ before: deal });
  }

  /**
   * The deal with this id if the caller may `action` it: 404 when it belongs to another
   * workspace, does not exist or may not be read; 403 when it may be read but not `action`ed.
   */
  private async load(id: string, action: CaslAction): Promise<DealRow> {
    const deal = await this.db.findOneOrThrow(deals, id);
    assertCan(this.abilities.requireCurrent(), action, 'Deal', deal);
    return deal;
  }

  private select() {
    return this.db
      .select(joined)
      .from(deals)
      .innerJoin(companies, eq(companies.id, deals.companyId))
      .innerJoin(users, eq(users.id, deals.ownerId))
      .leftJoin(contacts, eq(contacts.id, deals.primaryContactId));
  }

  private async aggregate(id: string): Promise<DealAggregate> {
    const [row] = await this.select().where(eq(deals.id, id));
    return toAggregate(row!);
  }
}

function toAggregate(row: {
  deal: DealRow;
  company: DealAggregate['company'];
  owner: DealAggregate['owner'];
  contact: DealAggregate['contact'];
}): DealAggregate {
  return { ...row.deal, company: row.company, owner: row.owner, contact: row.contact };
}
