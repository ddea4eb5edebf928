import type { SqlQueryable } from '../storage/sql-client';
import type { AuditTableName } from '../storage/sql-identifier';
import type { ValidatedErasure } from './erase-options';
import { personalPathsOf, replaceAt, type PersonalPath, type PersonalRules } from './personal-data';

/** What an erased personal value becomes in `metadata` and `changes`. */
export const ERASED = '[erased]';

/** Rows read and updated per statement: memory stays flat however many entries an actor has. */
const ERASE_PAGE = 1_000;

/**
 * Replaces the personal data of the matching entries, page by page, on `client`, which must be
 * inside a transaction that turned the maintenance flag on (the append-only guard refuses the
 * UPDATE otherwise). Chained rows: the values at their stored `personal_paths`, `ip`,
 * `user_agent` (and `actor_id` for an actor) are replaced and `personal_salt` set to null, so the
 * stored digest stands for the erased values and the chain keeps verifying. Rows without a chain
 * have their personal values found with the current `rules`. Returns how many rows changed.
 */
export async function eraseEntries(
  client: SqlQueryable,
  name: AuditTableName,
  rules: PersonalRules,
  erasure: ValidatedErasure,
  pseudonym: string,
): Promise<number> {
  const params: unknown[] = [];
  const where = [erasure.workspaceId === null ? '"workspace_id" IS NULL' : `"workspace_id" = $${params.push(erasure.workspaceId)}::uuid`];
  if (erasure.by === 'actor') {
    where.push(`"actor_id" = $${params.push(erasure.actorId)}`);
  } else {
    where.push(`"subject_id" = $${params.push(erasure.subjectId)}`);
    if (erasure.subject !== null) where.push(`"subject" = $${params.push(erasure.subject)}`);
  }
  const after = `$${params.length + 1}::uuid`;
  // Keyset by id: a subject's rows still match once erased, and each is visited once.
  const select = [
    `SELECT "id"::text AS "id", "occurred_at"::text AS "at", "actor_id", "ip", "user_agent", "metadata", "changes", "personal_paths", "personal_salt", "chain_seq"`,
    `FROM ${name.qualified}`,
    `WHERE ${where.join(' AND ')} AND "id" > ${after}`,
    `ORDER BY "id" LIMIT ${ERASE_PAGE}`,
  ].join('\n');
  const update = [
    `UPDATE ${name.qualified} AS t SET "actor_id" = u."actor_id", "ip" = NULL, "user_agent" = NULL,`,
    `  "metadata" = u."metadata", "changes" = u."changes", "personal_salt" = NULL`,
    `FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::jsonb[], $5::jsonb[]) AS u("id", "at", "actor_id", "metadata", "changes")`,
    `WHERE t."id" = u."id" AND t."occurred_at" = u."at"`,
  ].join('\n');

  let erased = 0;
  let last = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const { rows } = await client.query(select, [...params, last]);
    if (rows.length === 0) return erased;
    last = rows[rows.length - 1].id;
    const changed = rows.map((row) => erasedRow(row, rules, erasure, pseudonym)).filter((row) => row !== undefined);
    if (changed.length > 0) {
      await client.query(update, [
        changed.map((row) => row.id),
        changed.map((row) => row.at),
        changed.map((row) => row.actorId),
        changed.map((row) => JSON.stringify(row.metadata)),
        changed.map((row) => JSON.stringify(row.changes)),
      ]);
      erased += changed.length;
    }
    if (rows.length < ERASE_PAGE) return erased;
  }
}

interface ErasedRow {
  id: string;
  at: string;
  actorId: string | null;
  metadata: unknown;
  changes: unknown;
}

/** The row with its personal data replaced; undefined when nothing is left to erase in it. */
function erasedRow(row: Record<string, any>, rules: PersonalRules, erasure: ValidatedErasure, pseudonym: string): ErasedRow | undefined {
  const chained = row.chain_seq !== null && Array.isArray(row.personal_paths);
  // A chained row commits to its paths: only those may change. Older rows follow today's rules.
  const paths: PersonalPath[] = chained ? row.personal_paths : personalPathsOf(rules, row.metadata, row.changes);
  const container = replaceAt({ metadata: row.metadata, changes: row.changes }, paths, ERASED);
  const actorId = erasure.by === 'actor' ? pseudonym : row.actor_id;
  const unchanged =
    actorId === row.actor_id &&
    row.ip === null &&
    row.user_agent === null &&
    (!chained || row.personal_salt === null) &&
    JSON.stringify(container) === JSON.stringify({ metadata: row.metadata, changes: row.changes });
  if (unchanged) return undefined;
  return { id: row.id, at: row.at, actorId, metadata: container.metadata, changes: container.changes };
}
