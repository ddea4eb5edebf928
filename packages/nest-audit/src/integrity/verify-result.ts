import type { KeyObject } from 'node:crypto';
import type { AuditCheckpoint } from './checkpoint';

/** What `AuditIntegrityService.verify` checks: one workspace's chain, all of it or the entries of a time range. */
export interface AuditVerifyOptions {
  /** The workspace whose chain is verified; null for the entries recorded without a workspace. */
  workspaceId: string | null;
  /**
   * Verify only the entries from this instant on (Date or ISO 8601). The hash stored just before
   * the first of them is trusted, not verified: verify the whole chain for a proof from its start.
   */
  from?: Date | string;
  /** Verify only the entries before this instant (Date or ISO 8601); the head and newer checkpoints are then not checked. */
  to?: Date | string;
  /**
   * Checkpoints published off the database (what `integrity.checkpoints.publish` received): the
   * authoritative ones. Those of other workspaces are ignored. The checkpoints stored in the
   * database are always checked too, but whoever can rewrite the table can rewrite them.
   */
  checkpoints?: AuditCheckpoint[];
  /**
   * `keyId` -> Ed25519 public key (KeyObject or PEM) to check checkpoint signatures with.
   * @default the module's own signing key, when `integrity.checkpoints.signingKey` is set
   */
  publicKeys?: Record<string, KeyObject | string>;
}

/** The kinds of integrity problems verification reports (Title Case, as stored values are). */
export type AuditIntegrityProblemKind =
  /** An entry's hash does not follow from the entry and the hash before it: the entry (or its position) was changed. */
  | 'Broken Link'
  /** Chain positions with no entry: entries were deleted (`seq` to `toSeq`). */
  | 'Missing Range'
  /** Two or more entries at one position: an entry was inserted. */
  | 'Duplicate Position'
  /** The personal data of an entry (actor id, IP, user agent, values at its personal paths) no longer matches its digest. */
  | 'Personal Data Altered'
  /** The chain head or a checkpoint names another hash than the entry at its position. */
  | 'Checkpoint Mismatch'
  /** A checkpoint (or the head) is beyond the last entry: the newest entries were deleted. */
  | 'Truncated'
  /** A checkpoint's signature is not valid for its key, or no public key is known for its key id. */
  | 'Bad Signature';

/** One problem found by verification. */
export interface AuditIntegrityProblem {
  /** What kind of problem (see {@link AuditIntegrityProblemKind}). */
  kind: AuditIntegrityProblemKind;
  /** What is wrong, naming positions and entries. */
  message: string;
  /** The entries involved (may be empty when none is left, e.g. a checkpoint past the end). */
  entryIds: string[];
  /** The chain position where the problem is. */
  seq?: number;
  /** The last position of a range (Missing Range, Truncated). */
  toSeq?: number;
}

/** The result of verifying one workspace's chain. */
export interface AuditVerification {
  /** True when no problem was found. */
  ok: boolean;
  /** The workspace verified (null: the entries without a workspace). */
  workspaceId: string | null;
  /** Entries whose hashes were recomputed. */
  checked: number;
  /** Entries at or before the newest Retention Boundary: retention dropped their predecessors, so they are not verified. */
  beforeBoundary: number;
  /** The first and last chain positions verified; null when there was nothing to verify. */
  firstSeq: number | null;
  lastSeq: number | null;
  /** At most `AUDIT_VERIFY_MAX_PROBLEMS`, in the order found; `ok` is false whenever there is one. */
  problems: AuditIntegrityProblem[];
}

/** Verification stops listing problems after this many (a rewritten table would list every entry). */
export const AUDIT_VERIFY_MAX_PROBLEMS = 1_000;
