import { Injectable } from '@nestjs/common';
import { TenantDb } from '@acme/nest-tenancy';
import { and, eq } from 'drizzle-orm';
import { ApiError } from '../common/api-error';
import { memberships, users, type Schema, type UserRow } from '../database/schema';

/** Users of the current workspace, for fields that name a person (owner_id). */
@Injectable()
export class WorkspaceUsers {
  constructor(private readonly db: TenantDb<Schema>) {}

  /** The user when they are a member of this workspace; another workspace's user is a 404 like any foreign id. */
  async requireMember(userId: string, field = 'owner_id'): Promise<UserRow> {
    const [row] = await this.db
      .select({ user: users })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.userId, userId)))
      .limit(1);
    if (!row) throw new ApiError('NOT_FOUND', `${field}: no member of this workspace has this id.`, [{ path: field, message: 'Not a member' }]);
    return row.user;
  }
}
