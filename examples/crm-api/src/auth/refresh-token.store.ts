import { Injectable } from '@nestjs/common';
import { and, eq, isNull } from 'drizzle-orm';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { InjectSystemDb, type Database } from '../database/database.tokens';
import { refreshTokens, type RefreshTokenRow } from '../database/schema';

export interface IssuedRefreshToken {
  token: string;
  expiresAt: Date;
}

export type RotationResult = { kind: 'Rotated'; previous: RefreshTokenRow } | { kind: 'Reused'; previous: RefreshTokenRow } | { kind: 'Invalid' };

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Opaque refresh tokens (256 random bits; only the SHA-256 is stored) in families: each rotation
 * marks the presented token used and issues the next one of the same family. A token presented
 * twice means it was stolen (or replayed): the whole family is revoked.
 */
@Injectable()
export class RefreshTokenStore {
  constructor(@InjectSystemDb() private readonly db: Database) {}

  async issue(input: { userId: string; workspaceId: string; ttlDays: number; familyId?: string }): Promise<IssuedRefreshToken> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + input.ttlDays * 86_400_000);
    await this.db.insert(refreshTokens).values({
      familyId: input.familyId ?? randomUUID(),
      userId: input.userId,
      workspaceId: input.workspaceId,
      tokenHash: hashOf(token),
      expiresAt,
    });
    return { token, expiresAt };
  }

  /** Marks `token` used, atomically: of two concurrent uses exactly one rotates, the other is a reuse. */
  async consume(token: string): Promise<RotationResult> {
    const tokenHash = hashOf(token);
    const [used] = await this.db
      .update(refreshTokens)
      .set({ usedAt: new Date() })
      .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.usedAt), isNull(refreshTokens.revokedAt)))
      .returning();
    if (used) return used.expiresAt > new Date() ? { kind: 'Rotated', previous: used } : { kind: 'Invalid' };
    const [known] = await this.db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash)).limit(1);
    if (!known) return { kind: 'Invalid' };
    // Used or revoked before: a replay. Revoke the family (idempotent when already revoked).
    await this.revokeFamily(known.familyId);
    return { kind: 'Reused', previous: known };
  }

  /** Revokes the family `token` belongs to if `userId` owns it (logout); undefined for an unknown or another user's token. */
  async revokeOwnedBy(userId: string, token: string): Promise<RefreshTokenRow | undefined> {
    const [owned] = await this.db
      .select()
      .from(refreshTokens)
      .where(and(eq(refreshTokens.tokenHash, hashOf(token)), eq(refreshTokens.userId, userId)))
      .limit(1);
    if (owned) await this.revokeFamily(owned.familyId);
    return owned;
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.db
      .update(refreshTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
  }
}
