import { hash } from 'node:crypto';
import { maskPersonal, type PersonalPath } from './personal-data';

/** The version tag that starts every hashed content (changing the content means a new tag). */
export const CHAIN_CONTENT_VERSION = 'acme-audit/1';

/** The hash before the first entry of a chain (seq 1 links to it): 32 zero bytes. */
export const GENESIS_HASH: Buffer = Buffer.alloc(32);

/** The chain of entries without a workspace (`workspace_id` null): the nil UUID. */
export const GLOBAL_CHAIN = '00000000-0000-0000-0000-000000000000';

/** The chain columns of the audit table, in insert order (nullable; not part of AUDIT_COLUMNS). */
export const AUDIT_CHAIN_COLUMNS = [
  ['chain_seq', 'bigint'],
  ['chain_hash', 'bytea'],
  ['personal_digest', 'bytea'],
  ['personal_salt', 'bytea'],
  ['personal_paths', 'jsonb'],
] as const;

/**
 * What the hash of one entry covers, in a form both sides have: the writer fills it from the
 * batch it inserts (JSON columns parsed from the very text it inserts), the verifier from the
 * stored row (see `chainRowOfStored`). actor_id, ip and user_agent are not here: they are covered
 * through `personalDigest` only, so erasure may replace them.
 */
export interface ChainRow {
  /** Position in the workspace's chain, from 1 (pg returns bigint as text). */
  seq: number | string | bigint;
  id: string;
  /** A Date (as pg returns timestamptz) or an ISO timestamp (as a batch travels). */
  occurredAt: Date | string;
  workspaceId: string | null;
  actorKind: string;
  action: string;
  subject: string;
  subjectId: string | null;
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
  requestId: string | null;
  durationMs: number;
  /** Parsed JSON, exactly as stored (personal values included: they are masked here). */
  metadata: unknown;
  changes: unknown;
  personalPaths: readonly PersonalPath[];
  personalDigest: Uint8Array;
}

/**
 * JSON text with object keys sorted (default sort of `Object.keys`), no spaces, arrays in order,
 * strings and numbers as `JSON.stringify` writes them. Meant for values parsed from stored JSON.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // What JSON.stringify writes: the shortest round-trip form; NaN and Infinity as null.
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'object': {
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON(): unknown }).toJSON());
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      let out = '{';
      for (const key of Object.keys(record).sort()) {
        const field = record[key];
        if (field === undefined || typeof field === 'function' || typeof field === 'symbol') continue;
        out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${canonicalJson(field)}`;
      }
      return `${out}}`;
    }
    default:
      return 'null';
  }
}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A UUID as PostgreSQL prints it (lowercase, hyphenated), whatever form it was given in. */
export function canonicalUuid(value: string): string {
  if (CANONICAL_UUID.test(value)) return value;
  const hex = value.replace(/[{}-]/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return value;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The chain an entry belongs to: its workspace, or GLOBAL_CHAIN without one. */
export function chainOf(workspaceId: string | null): string {
  return workspaceId === null ? GLOBAL_CHAIN : canonicalUuid(workspaceId);
}

/** The hashed content of one entry (version 1): see the README's Integrity section. */
export function entryContent(row: ChainRow): string {
  return entryContentAt(row.seq, entryContentTail(row));
}

/**
 * The content of an entry without its position: everything after `seq` in the content array,
 * canonical, comma-separated. The writer computes it before it knows the position.
 */
export function entryContentTail(row: Omit<ChainRow, 'seq'>): string {
  const masked = maskPersonal({ metadata: row.metadata, changes: row.changes }, row.personalPaths);
  return [
    canonicalUuid(row.id),
    new Date(row.occurredAt).toISOString(),
    row.workspaceId === null ? null : canonicalUuid(row.workspaceId),
    row.actorKind,
    row.action,
    row.subject,
    row.subjectId,
    row.status,
    row.errorCode,
    row.errorMessage,
    row.requestId,
    Number(row.durationMs),
    masked.metadata,
    masked.changes,
    row.personalPaths,
    hex(row.personalDigest),
  ]
    .map(canonicalJson)
    .join(',');
}

/** The content of the entry at `seq` from its tail (`canonicalJson` of the whole content array). */
export function entryContentAt(seq: number | string | bigint, tail: string): string {
  return `[${JSON.stringify(CHAIN_CONTENT_VERSION)},${JSON.stringify(String(seq))},${tail}]`;
}

function hex(bytes: Uint8Array): string {
  return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('hex');
}

/**
 * Where each link's input (prev ‖ utf8(content)) is laid out before it is hashed: reused, so a
 * link costs one hash call and no buffer of its own (the writer and the verifier make one per
 * entry). Nothing runs between filling and hashing it. A larger entry gets a buffer of its own,
 * so one huge entry never leaves a huge buffer behind.
 */
const linkInput = Buffer.allocUnsafe(8192);

/** `sha256(prev ‖ utf8(content))`: the link of an entry to the one before it. */
export function chainHash(prev: Uint8Array, content: string): Buffer {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: with this much room, the write cannot be cut short.
  const room = prev.length + content.length * 3;
  const input = room <= linkInput.length ? linkInput : Buffer.allocUnsafe(room);
  input.set(prev, 0);
  const written = input.write(content, prev.length, 'utf8');
  return hash('sha256', input.subarray(0, prev.length + written), 'buffer');
}

/**
 * A stored row (`SELECT *` of the audit table through node-postgres: snake_case columns,
 * timestamptz as Date, jsonb parsed, bytea as Buffer, bigint as text) as `entryContent` takes it.
 * Returns undefined for a row without a chain position.
 */
export function chainRowOfStored(row: Record<string, unknown>): ChainRow | undefined {
  if (row.chain_seq === null || row.chain_seq === undefined) return undefined;
  return {
    seq: row.chain_seq as string,
    id: row.id as string,
    occurredAt: row.occurred_at as Date,
    workspaceId: (row.workspace_id as string | null) ?? null,
    actorKind: row.actor_kind as string,
    action: row.action as string,
    subject: row.subject as string,
    subjectId: (row.subject_id as string | null) ?? null,
    status: row.status as string,
    errorCode: (row.error_code as string | null) ?? null,
    errorMessage: (row.error_message as string | null) ?? null,
    requestId: (row.request_id as string | null) ?? null,
    durationMs: row.duration_ms as number,
    metadata: row.metadata,
    changes: row.changes,
    personalPaths: (row.personal_paths as PersonalPath[] | null) ?? [],
    personalDigest: (row.personal_digest as Buffer | null) ?? Buffer.alloc(0),
  };
}
