import { chainHash, chainRowOfStored, entryContent } from './chain-content';
import { ERASED } from './erase';
import { personalDigest, valuesAt, type PersonalPath } from './personal-data';
import { AUDIT_VERIFY_MAX_PROBLEMS, type AuditIntegrityProblem } from './verify-result';

/** The columns verification reads, as node-postgres returns them to `chainRowOfStored`. */
export const VERIFY_COLUMNS = [
  '"id"::text AS "id"',
  '"occurred_at"',
  '"workspace_id"::text AS "workspace_id"',
  '"actor_kind"',
  '"actor_id"',
  '"action"',
  '"subject"',
  '"subject_id"',
  '"status"',
  '"error_code"',
  '"error_message"',
  '"request_id"',
  '"ip"',
  '"user_agent"',
  '"duration_ms"',
  '"metadata"',
  '"changes"',
  '"chain_seq"',
  '"chain_hash"',
  '"personal_digest"',
  '"personal_salt"',
  '"personal_paths"',
].join(', ');

/** Collects problems up to the cap. */
export class ProblemList {
  readonly items: AuditIntegrityProblem[] = [];
  add(problem: AuditIntegrityProblem): void {
    if (this.items.length < AUDIT_VERIFY_MAX_PROBLEMS) this.items.push(problem);
  }
}

/** Whether the row's stored hash follows from `prev` and its content (false when a tampered row cannot even be read). */
export function links(prev: Buffer, row: Record<string, any>): boolean {
  if (!Buffer.isBuffer(row.chain_hash)) return false;
  try {
    return chainHash(prev, entryContent(chainRowOfStored(row)!)).equals(row.chain_hash);
  } catch {
    return false; // e.g. personal_paths rewritten into something that is not a list of paths
  }
}

/**
 * The personal data of a row against its digest. An erased row (salt null) keeps the digest of
 * what it held: its IP and user agent must be gone and its personal values '[erased]'.
 */
export function personalCheck(row: Record<string, any>, problems: ProblemList): void {
  let altered: boolean;
  try {
    const paths: PersonalPath[] = Array.isArray(row.personal_paths) ? row.personal_paths : [];
    const values = valuesAt({ metadata: row.metadata, changes: row.changes }, paths);
    altered =
      row.personal_salt === null
        ? row.ip !== null || row.user_agent !== null || values.some((value) => value !== ERASED && value !== null)
        : !personalDigest(row.personal_salt, row.actor_id, row.ip, row.user_agent, values).equals(row.personal_digest ?? Buffer.alloc(0));
  } catch {
    altered = true; // its personal paths were rewritten into something unreadable
  }
  if (!altered) return;
  problems.add({
    kind: 'Personal Data Altered',
    message: `The personal data of entry ${row.id} (chain position ${Number(row.chain_seq)}: actor id, IP, user agent or values at its personal paths) no longer matches its digest${row.personal_salt === null ? ' (it was erased, yet holds values)' : ''}.`,
    entryIds: [row.id],
    seq: Number(row.chain_seq),
  });
}
