import { Audit, AuditService } from '@acme/nest-audit';
import { Injectable } from '@nestjs/common';
import { AbilityFactory } from '@acme/nest-casl';
import { InjectProducer, type Producer } from '@acme/nest-queues';
import { TenancyMembershipCache, TenantDb } from '@acme/nest-tenancy';
import type { AddMemberInput, ListMembersQuery, Role } from '@acme-examples/crm-contracts';
import { and, desc, eq, ne } from 'drizzle-orm';
import { ApiError } from '../common/api-error';
import { afterCursor, decodeCursor, pageOf } from '../common/cursor';
import { memberships, users, type Schema } from '../database/schema';
import { IdentityDirectory } from '../auth/identity.directory';
import { emails as emailsQueue } from '../jobs/queues';
import type { MemberRow } from './member.presenter';

/** Memberships of the current workspace. At least one Admin always remains. */
@Injectable()
export class MembersService {
  constructor(
    private readonly db: TenantDb<Schema>,
    private readonly identity: IdentityDirectory,
    private readonly abilities: AbilityFactory,
    private readonly memberships: TenancyMembershipCache,
    private readonly audit: AuditService,
    @InjectProducer(emailsQueue) private readonly emails: Producer<typeof emailsQueue>,
  ) {}

  async list(query: ListMembersQuery) {
    const cursor = decodeCursor(query.cursor);
    const rows = await this.db
      .select({ membership: memberships, user: users })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(afterCursor(cursor, memberships.createdAt, memberships.id))
      .orderBy(desc(memberships.createdAt), desc(memberships.id))
      .limit(query.limit + 1);
    const total = await this.db.$count(memberships);
    const page = pageOf(
      rows.map((r) => ({ ...r.membership, user: r.user })),
      query.limit,
    );
    return { ...page, total };
  }

  async get(id: string): Promise<MemberRow> {
    const membership = await this.db.findOneOrThrow(memberships, id);
    const user = (await this.identity.userById(membership.userId))!;
    return { ...membership, user };
  }

  @Audit({ action: 'Create', subject: 'Member' })
  async add(input: AddMemberInput): Promise<MemberRow> {
    const user = await this.identity.userByEmail(input.email);
    if (!user) throw new ApiError('NOT_FOUND', 'No account has this email: ask them to register first.', [{ path: 'email', message: 'Unknown account' }]);
    const [created] = await this.db.insert(memberships).values({ userId: user.id, role: input.role }).onConflictDoNothing().returning();
    if (!created) throw new ApiError('MEMBER_EXISTS', `${user.email} is already a member of this workspace.`);
    this.audit.describe({ after: { userId: user.id, role: created.role } });
    // Rendered by the worker; the job carries this request's context (workspace, actor, request id).
    await this.emails.add({ to: user.email, template: 'Member Added', subject: 'You were added to a workspace', lines: [`Your role: ${created.role}`] });
    return { ...created, user };
  }

  @Audit({ action: 'Update', subject: 'Member' })
  async changeRole(id: string, role: Role): Promise<MemberRow> {
    const current = await this.db.findOneOrThrow(memberships, id);
    if (current.role === 'Admin' && role !== 'Admin') await this.assertAnotherAdmin(id);
    const updated = await this.db.updateOrThrow(memberships, id, { role });
    this.audit.describe({ subjectId: id, before: { role: current.role }, after: { role } });
    this.forgetAccess(updated.userId, updated.workspaceId);
    return { ...updated, user: (await this.identity.userById(updated.userId))! };
  }

  @Audit({ action: 'Delete', subject: 'Member' })
  async remove(id: string): Promise<void> {
    const current = await this.db.findOneOrThrow(memberships, id);
    if (current.role === 'Admin') await this.assertAnotherAdmin(id);
    await this.db.deleteOrThrow(memberships, id);
    this.audit.describe({ before: { userId: current.userId, role: current.role } });
    this.forgetAccess(current.userId, current.workspaceId);
  }

  /**
   * Every API replica forgets the member's cached membership and abilities once this request's
   * transaction commits (the request answers after Redis took the message), so the change holds
   * from the member's next request, whichever replica serves it.
   */
  private forgetAccess(userId: string, workspaceId: string): void {
    this.memberships.invalidate({ userId, workspaceId });
    this.abilities.invalidate({ userId, workspaceId });
  }

  private async assertAnotherAdmin(exceptId: string): Promise<void> {
    const others = await this.db.$count(memberships, and(eq(memberships.role, 'Admin'), ne(memberships.id, exceptId)));
    if (Number(others) === 0) throw new ApiError('LAST_ADMIN', 'A workspace keeps at least one Admin: make someone else Admin first.');
  }
}
