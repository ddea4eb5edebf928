import type { AuditEntry } from '../audit-entry';
import { AuditError } from '../audit.errors';

/**
 * A run of one workspace's hash chain: the entries after the sink's position, in chain order.
 * Positions are the entries' `chain_seq`; `firstSeq`..`lastSeq` names the run (with no other
 * entry of the workspace in between, except any retention dropped).
 */
export interface AuditSinkBatch {
  /** The workspace, or the nil UUID `00000000-0000-0000-0000-000000000000` for entries without one. */
  workspaceId: string;
  /** In chain (seq) order. */
  entries: AuditEntry[];
  firstSeq: number;
  lastSeq: number;
}

/**
 * Where `AuditStreamService.pump()` sends each workspace's entries (a SIEM, a bucket, a log
 * pipeline). `send` resolves once the destination has the batch and rejects otherwise: a
 * rejection is retried (the same batch, with backoff) and the position moves only after success.
 * Delivery is at least once: a process that stops between a successful `send` and storing the
 * position sends that batch again, so destinations deduplicate by entry id (or by the batch's
 * workspace and seq range).
 */
export interface AuditSink {
  /** Stable across restarts and unique among the sinks: positions are stored under it. */
  readonly name: string;
  send(batch: AuditSinkBatch): Promise<void>;
}

/** A sink could not deliver a batch (the pump logs it, retries it, and dead-letters it in the end). */
export class AuditSinkError extends AuditError {
  readonly code = 'AUDIT_SINK_FAILED';
}
