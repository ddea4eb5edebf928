import { Injectable } from '@nestjs/common';
import { AuditQueryError, AuditQueryService, type AuditEntry } from '@acme/nest-audit';
import { TenantDb } from '@acme/nest-tenancy';
import type { AuditSearchQuery } from '@acme-examples/crm-contracts';
import { anyOf } from '../common/any-of';
import { ApiError } from '../common/api-error';
import type { UserSummaryRow } from '../common/user-summary';
import { users, type Schema } from '../database/schema';

/** Searches the current workspace's audit trail (AuditQueryService scopes it) and resolves actors to people. */
@Injectable()
export class AuditTrailService {
  constructor(
    private readonly query: AuditQueryService,
    private readonly db: TenantDb<Schema>,
  ) {}

  async search(filters: AuditSearchQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null; users: Map<string, UserSummaryRow> }> {
    const page = await this.query
      .find({
        subject: filters.subject,
        subjectId: filters.subject_id,
        action: filters.action,
        status: filters.status,
        actorId: filters.actor_id,
        from: filters.from,
        to: filters.to,
        limit: filters.limit,
        cursor: filters.cursor,
      })
      .catch((error: unknown) => {
        if (error instanceof AuditQueryError)
          throw new ApiError('VALIDATION_FAILED', error.message, [
            { path: error.code === 'AUDIT_INVALID_CURSOR' ? 'cursor' : '(query)', message: error.message },
          ]);
        throw error;
      });
    const ids = [...new Set(page.items.filter((e) => e.actorKind === 'User' && e.actorId).map((e) => e.actorId!))];
    const people = ids.length
      ? await this.db.select({ id: users.id, name: users.name, email: users.email, avatarUrl: users.avatarUrl }).from(users).where(anyOf(users.id, ids))
      : [];
    return { items: page.items, nextCursor: page.nextCursor, users: new Map(people.map((p) => [p.id, p])) };
  }
}
