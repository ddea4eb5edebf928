import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type pg from 'pg';
import type { AuditEntry } from '../../src/audit-entry';
import { AuditWriter } from '../../src/audit-writer';
import { chainOf } from '../../src/integrity/chain-content';
import { signCheckpoint, type AuditCheckpoint } from '../../src/integrity/checkpoint';
import { DEFAULT_PERSONAL, personalRules } from '../../src/integrity/personal-data';
import { testUuid } from './storage-rows';

/** An entry with personal data in every place the chain commits to (actor, IP, user agent, changes, metadata). */
export function personEntry(n: number, workspaceId: string | null, at: Date, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: testUuid(n),
    occurredAt: at,
    workspaceId,
    actorKind: 'User',
    actorId: `user-${n % 3}`,
    action: 'Update',
    subject: 'Contact',
    subjectId: `contact-${n}`,
    status: 'Success',
    errorCode: null,
    errorMessage: null,
    requestId: `req-${n}`,
    ip: `10.0.0.${n % 250}`,
    userAgent: 'curl/8',
    durationMs: n,
    metadata: { source: 'api', contact: { phone: `+1 555 ${n}` } },
    changes: { email: { from: `old-${n}@example.com`, to: `new-${n}@example.com` }, stage: { from: 'New', to: 'Won' } },
    ...overrides,
  };
}

/** The package's chain writer on `pool` with the default personal rules. */
export function chainWriter(pool: pg.Pool, table = 'audit_log', schema?: string): AuditWriter {
  return new AuditWriter(pool, table, schema, personalRules(DEFAULT_PERSONAL));
}

/** A fresh Ed25519 key pair. */
export function ed25519(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

/** A checkpoint of the workspace's current head, signed with `privateKey` (as a published copy would be). */
export async function signedHead(pool: pg.Pool, workspaceId: string | null, privateKey: KeyObject, table = 'audit_log'): Promise<AuditCheckpoint> {
  const chain = chainOf(workspaceId);
  const { rows } = await pool.query(`SELECT "seq"::text AS seq, encode("hash", 'hex') AS hash FROM ${table}_chain_heads WHERE workspace_id = $1`, [chain]);
  return signCheckpoint({ workspaceId: chain, seq: Number(rows[0].seq), hash: rows[0].hash, createdAt: new Date().toISOString() }, privateKey);
}

/** The ids of the workspace's entries in chain order. */
export async function chainIds(pool: pg.Pool, workspaceId: string, table = 'audit_log'): Promise<string[]> {
  const { rows } = await pool.query(`SELECT id::text AS id FROM ${table} WHERE workspace_id = $1 ORDER BY chain_seq, id`, [workspaceId]);
  return rows.map((row) => row.id);
}
