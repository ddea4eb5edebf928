/**
 * The audited-write contract between the package that sees every successful mutation
 * (@acme/nest-audit, through `@Audit`) and packages that must react to it (@acme/nest-cache
 * invalidates what the write made stale): the token and the event live here so that neither
 * imports the other.
 */

/** One successful audited call: its `@Audit({ action, subject })` and where it ran. */
export interface AuditedWrite {
  /** The workspace the write ran in; null for a write outside any workspace. */
  workspaceId: string | null;
  /** The audited subject ('Deal', 'Company', ...), as `@Audit` names it. */
  subject: string;
  /** The audited action ('Create', 'Update', ...). */
  action: string;
  /** The id of the row written, when the audit entry has one. */
  subjectId: string | null;
  requestId: string | null;
}

/**
 * Reacts to one write. The audited call waits for the returned promise (so a write is never
 * reported done before, say, a cache has forgotten what it made stale); a listener that throws
 * or rejects never fails the call, and should bound its own work with a timeout.
 */
export type AuditedWriteListener = (write: AuditedWrite) => void | Promise<void>;

/**
 * What the provider under {@link AUDITED_WRITES} offers. Listeners hear a write once, after it
 * succeeded and, inside a transaction, after that transaction committed: never for a write that
 * failed or rolled back.
 */
export interface AuditedWrites {
  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: AuditedWriteListener): () => void;
}

/**
 * DI token of the app's {@link AuditedWrites} (provided by @acme/nest-audit's `AuditModule`).
 * Look it up with `moduleRef.get(AUDITED_WRITES, { strict: false })`; absent when no package
 * reports writes.
 */
export const AUDITED_WRITES = Symbol.for('@acme/nest-context:audited-writes');
