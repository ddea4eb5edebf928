import { Injectable } from '@nestjs/common';
import type { Role } from '@acme-examples/crm-contracts';
import { and, asc, eq, sql } from 'drizzle-orm';
import { InjectSystemDb, type Database } from '../database/database.tokens';
import { memberships, users, workspaces, type UserRow, type WorkspaceRow } from '../database/schema';

export interface WorkspaceMembership {
  membershipId: string;
  workspace: WorkspaceRow;
  role: Role;
}

/**
 * Who is who, before a workspace is known: users by email and a user's memberships across
 * workspaces. The only reader of memberships outside a workspace, through the system role
 * (BYPASSRLS); everything inside a workspace goes through TenantDb.
 */
@Injectable()
export class IdentityDirectory {
  constructor(@InjectSystemDb() private readonly db: Database) {}

  async userByEmail(email: string): Promise<UserRow | undefined> {
    const [user] = await this.db
      .select()
      .from(users)
      .where(sql`lower(${users.email}) = lower(${email})`)
      .limit(1);
    return user;
  }

  async userById(id: string): Promise<UserRow | undefined> {
    const [user] = await this.db.select().from(users).where(eq(users.id, id)).limit(1);
    return user;
  }

  /** The user's workspaces, oldest membership first (the default workspace at sign-in). */
  async membershipsOf(userId: string): Promise<WorkspaceMembership[]> {
    const rows = await this.db
      .select({ membershipId: memberships.id, role: memberships.role, workspace: workspaces })
      .from(memberships)
      .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
      .where(eq(memberships.userId, userId))
      .orderBy(asc(memberships.createdAt), asc(memberships.id));
    return rows;
  }

  /**
   * The user's membership of one workspace, or undefined. TenancyGuard's isMember: on every request
   * the membership cache cannot answer (MEMBERSHIP_CACHE_TTL_SECONDS; MembersService invalidates it).
   */
  async membership(userId: string, workspaceId: string): Promise<WorkspaceMembership | undefined> {
    const [row] = await this.db
      .select({ membershipId: memberships.id, role: memberships.role, workspace: workspaces })
      .from(memberships)
      .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
      .where(and(eq(memberships.userId, userId), eq(memberships.workspaceId, workspaceId)))
      .limit(1);
    return row;
  }

  /** Sign-up: a user, their first workspace, and an Admin membership, in one transaction. */
  async createUserWithWorkspace(input: { email: string; name: string; passwordHash: string; workspaceName: string }) {
    return this.db.transaction(async (tx) => {
      const [user] = await tx.insert(users).values({ email: input.email, name: input.name, passwordHash: input.passwordHash }).returning();
      const slug = `${slugify(input.workspaceName)}-${user!.id.slice(0, 8)}`;
      const [workspace] = await tx.insert(workspaces).values({ name: input.workspaceName, slug }).returning();
      await tx.insert(memberships).values({ workspaceId: workspace!.id, userId: user!.id, role: 'Admin' });
      return { user: user!, workspace: workspace!, role: 'Admin' as const };
    });
  }
}

export function slugify(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'workspace'
  );
}
