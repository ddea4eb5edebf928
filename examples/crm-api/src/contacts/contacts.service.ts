import { Audit, AuditService } from '@acme/nest-audit';
import { Injectable } from '@nestjs/common';
import { AbilityFactory, accessibleBy, assertCan, type CaslAction } from '@acme/nest-casl';
import { ContextService } from '@acme/nest-context';
import { TenantDb } from '@acme/nest-tenancy';
import type { CreateContactInput, ListContactsQuery, UpdateContactInput } from '@acme-examples/crm-contracts';
import { and, desc, eq, ilike, or, sql } from 'drizzle-orm';
import { anyOf } from '../common/any-of';
import { afterCursor, decodeCursor, pageOf } from '../common/cursor';
import { inputColumns, type ColumnMap } from '../common/input-columns';
import { likePattern } from '../common/like-pattern';
import { activities, companies, contacts, deals, users, type ContactRow, type Schema } from '../database/schema';
import { WorkspaceUsers } from '../members/workspace-users';
import type { ContactAggregate } from './contact.presenter';

const joined = {
  contact: contacts,
  company: { id: companies.id, name: companies.name, domain: companies.domain },
  owner: { id: users.id, name: users.name, email: users.email, avatarUrl: users.avatarUrl },
};

/** The column each field of CreateContactInput and UpdateContactInput sets. */
const CONTACT_COLUMNS = {
  company_id: 'companyId',
  first_name: 'firstName',
  last_name: 'lastName',
  email: 'email',
  phone: 'phone',
  job_title: 'jobTitle',
  owner_id: 'ownerId',
} as const satisfies ColumnMap<CreateContactInput, typeof contacts.$inferInsert>;

/** Contacts of the current workspace. TenantDb only. */
@Injectable()
export class ContactsService {
  constructor(
    private readonly db: TenantDb<Schema>,
    private readonly abilities: AbilityFactory,
    private readonly context: ContextService,
    private readonly workspaceUsers: WorkspaceUsers,
    private readonly audit: AuditService,
  ) {}

  async list(query: ListContactsQuery) {
    const cursor = decodeCursor(query.cursor);
    const where = and(
      accessibleBy(this.abilities.requireCurrent(), 'Read', contacts),
      query.company_id ? eq(contacts.companyId, query.company_id) : undefined,
      query.q
        ? or(ilike(sql`${contacts.firstName} || ' ' || ${contacts.lastName}`, likePattern(query.q)), ilike(contacts.email, likePattern(query.q)))
        : undefined,
    );
    // Sequential: with RLS the request's queries share one transaction (one connection).
    const rows = await this.select()
      .where(and(where, afterCursor(cursor, contacts.createdAt, contacts.id)))
      .orderBy(desc(contacts.createdAt), desc(contacts.id))
      .limit(query.limit + 1);
    const total = await this.db.$count(contacts, where);
    const page = pageOf(
      rows.map((r) => ({ ...r.contact, company: r.company, owner: r.owner })),
      query.limit,
    );
    return { rows: await this.withLastActivity(page.rows), total, nextCursor: page.nextCursor };
  }

  async get(id: string): Promise<ContactAggregate> {
    return this.aggregate(await this.load(id, 'Read'));
  }

  @Audit({ action: 'Create', subject: 'Contact' })
  async create(input: CreateContactInput): Promise<ContactAggregate> {
    await this.db.findOneOrThrow(companies, input.company_id);
    const ownerId = input.owner_id ?? this.context.require().actor.id!;
    await this.workspaceUsers.requireMember(ownerId);
    const [contact] = await this.db
      .insert(contacts)
      .values({ ...inputColumns(input, CONTACT_COLUMNS), ownerId })
      .returning();
    this.audit.describe({ after: contact });
    return this.aggregate(contact!);
  }

  @Audit({ action: 'Update', subject: 'Contact' })
  async update(id: string, input: UpdateContactInput): Promise<ContactAggregate> {
    const before = await this.load(id, 'Update');
    if (input.company_id) await this.db.findOneOrThrow(companies, input.company_id);
    if (input.owner_id) await this.workspaceUsers.requireMember(input.owner_id);
    const after = await this.db.updateOrThrow(contacts, id, { ...inputColumns(input, CONTACT_COLUMNS), updatedAt: new Date() });
    this.audit.describe({ subjectId: after.id, before, after });
    return this.aggregate(after);
  }

  @Audit({ action: 'Delete', subject: 'Contact' })
  async remove(id: string): Promise<void> {
    const contact = await this.load(id, 'Delete');
    // Deals keep existing without their primary contact.
    await this.db.update(deals).set({ primaryContactId: null }).where(eq(deals.primaryContactId, id));
    await this.db.deleteOrThrow(contacts, id);
    this.audit.describe({ before: contact });
  }

  /**
   * The contact with this id if the caller may `action` it: 404 when it belongs to another
   * workspace, does not exist or may not be read; 403 when it may be read but not `action`ed.
   */
  private async load(id: string, action: CaslAction): Promise<ContactRow> {
    const contact = await this.db.findOneOrThrow(contacts, id);
    assertCan(this.abilities.requireCurrent(), action, 'Contact', contact);
    return contact;
  }

  private select() {
    return this.db.select(joined).from(contacts).innerJoin(companies, eq(companies.id, contacts.companyId)).innerJoin(users, eq(users.id, contacts.ownerId));
  }

  private async aggregate(contact: ContactRow): Promise<ContactAggregate> {
    const [row] = await this.select().where(eq(contacts.id, contact.id));
    const [aggregate] = await this.withLastActivity([{ ...row!.contact, company: row!.company, owner: row!.owner }]);
    return aggregate!;
  }

  private async withLastActivity(rows: Omit<ContactAggregate, 'lastActivity'>[]): Promise<ContactAggregate[]> {
    const ids = rows.map((r) => r.id);
    const latest = ids.length
      ? await this.db
          .selectDistinctOn([activities.contactId], {
            contactId: activities.contactId,
            kind: activities.kind,
            label: activities.label,
            occurredAt: activities.occurredAt,
          })
          .from(activities)
          .where(anyOf(activities.contactId, ids))
          .orderBy(activities.contactId, desc(activities.occurredAt))
      : [];
    const byContact = new Map(latest.map((a) => [a.contactId, a]));
    return rows.map((row) => ({ ...row, lastActivity: byContact.get(row.id) ?? null }));
  }
}
