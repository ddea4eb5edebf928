import { randomBytes } from 'node:crypto';
import { AUDIT_COLUMNS } from '../audit-entry';
import { AuditError } from '../audit.errors';
import { quoteIdentifier } from '../storage/sql-identifier';
import { AUDIT_CHAIN_COLUMNS, chainHash, chainOf, entryContent, GENESIS_HASH } from './chain-content';
import { storableJson, storableText } from './chain-text';
import { personalDigest, personalPathsOf, valuesAt, type PersonalRules } from './personal-data';

/** What the chain writer runs its statements on: a pg client in a transaction (rows are read). */
export interface ChainQueryable {
  query(text: string, params?: unknown[]): Promise<{ rows?: any[]; rowCount: number | null }>;
}

/** A row of the batch did not insert although no stored entry had its id: the batch is retried whole. */
export class AuditChainConflictError extends AuditError {
  readonly code = 'AUDIT_CHAIN_CONFLICT';
  constructor(expected: number, inserted: number) {
    super(
      `Audit chain write inserted ${inserted} of ${expected} new entries (an entry with one of their ids was written outside the chain meanwhile); ` +
        'the batch was rolled back and is retried. Turn integrity.chain on in every process that writes this table.',
    );
  }
}

const SALT_BYTES = 16;
// AUDIT_COLUMNS positions of the columns the chain reads.
const [ID, OCCURRED_AT, WORKSPACE, ACTOR_KIND, ACTOR_ID, ACTION, SUBJECT, SUBJECT_ID, STATUS, ERROR_CODE, ERROR_MESSAGE, REQUEST_ID, IP, USER_AGENT, DURATION, METADATA, CHANGES] =
  AUDIT_COLUMNS.map((_, i) => i) as number[] as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
const TEXT_COLUMNS = AUDIT_COLUMNS.flatMap(([, type], i) => (type === 'text' ? [i] : []));

/** The statements of one table, built once. */
export interface ChainStatements {
  lock: string;
  createHeads: string;
  stored: string;
  insert: string;
}

/**
 * The SQL of the chain writer. Bytes travel as hex text and are decoded by the server, so the
 * same statements work through node-postgres and through a Drizzle transaction.
 */
export function chainStatements(table: string, schema?: string): ChainStatements {
  const qualify = (name: string) => (schema ? `${quoteIdentifier(schema)}.${quoteIdentifier(name)}` : quoteIdentifier(name));
  const audit = qualify(table);
  const heads = qualify(`${table}_chain_heads`);
  const n = AUDIT_COLUMNS.length;
  const columns = [...AUDIT_COLUMNS, ...AUDIT_CHAIN_COLUMNS].map(([name]) => `"${name}"`).join(', ');
  const arrays = [
    ...AUDIT_COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`),
    `$${n + 1}::bigint[]`,
    `$${n + 2}::text[]`,
    `$${n + 3}::text[]`,
    `$${n + 4}::text[]`,
    `$${n + 5}::jsonb[]`,
  ].join(', ');
  const names = AUDIT_COLUMNS.map((_, i) => `c${i}`);
  const select = [...names, 'chain_seq', `decode(chain_hash, 'hex')`, `decode(personal_digest, 'hex')`, `decode(personal_salt, 'hex')`, 'personal_paths'].join(', ');
  const alias = [...names, 'chain_seq', 'chain_hash', 'personal_digest', 'personal_salt', 'personal_paths'].join(', ');
  return {
    // ORDER BY: heads are locked in one order by every writer, so two batches never deadlock.
    lock: `SELECT "workspace_id"::text AS workspace_id, "seq"::text AS seq, encode("hash", 'hex') AS hash FROM ${heads} WHERE "workspace_id" = ANY($1::uuid[]) ORDER BY "workspace_id" FOR UPDATE`,
    createHeads: `INSERT INTO ${heads} ("workspace_id", "seq", "hash") SELECT w, 0, '\\x${GENESIS_HASH.toString('hex')}'::bytea FROM unnest($1::uuid[]) AS w ORDER BY w ON CONFLICT DO NOTHING`,
    stored: `SELECT id::text AS id FROM ${audit} WHERE id = ANY($1::uuid[]) AND occurred_at BETWEEN $2 AND $3`,
    insert: [
      `WITH inserted AS (INSERT INTO ${audit} (${columns}) SELECT ${select} FROM unnest(${arrays}) AS u(${alias}) ON CONFLICT DO NOTHING RETURNING 1),`,
      `moved AS (UPDATE ${heads} AS h SET "seq" = m.seq, "hash" = decode(m.hash, 'hex'), "updated_at" = now()`,
      `  FROM unnest($${n + 6}::uuid[], $${n + 7}::bigint[], $${n + 8}::text[]) AS m(workspace_id, seq, hash) WHERE h."workspace_id" = m.workspace_id RETURNING 1)`,
      'SELECT (SELECT count(*) FROM inserted)::int AS inserted, (SELECT count(*) FROM moved)::int AS moved',
    ].join('\n'),
  };
}

interface Head {
  seq: bigint;
  hash: Buffer;
}

/**
 * Writes one batch (in column form, as it travels) into the hash chains of its workspaces, on a
 * connection already inside a transaction: locks the heads of the batch's chains (sorted), skips
 * entries the table has, gives the others the next positions in (occurred_at, id) order,
 * commits to their personal data, hashes each to the one before, then inserts them and moves the
 * heads in one statement. Returns how many entries were new.
 */
export async function writeChained(db: ChainQueryable, sql: ChainStatements, rules: PersonalRules, columns: unknown[][]): Promise<number> {
  const size = columns[ID]!.length;
  if (size === 0) return 0;
  const chains = [...new Set(columns[WORKSPACE]!.map((w) => chainOf((w as string | null) ?? null)))].sort();
  const heads = await lockHeads(db, sql, chains);

  const occurred = columns[OCCURRED_AT]!.map((at) => new Date(at as Date | string));
  const times = occurred.map((at) => at.getTime());
  const stored = new Set(
    ((await db.query(sql.stored, [columns[ID], new Date(Math.min(...times)), new Date(Math.max(...times))])).rows ?? []).map((row: { id: string }) => row.id),
  );
  const fresh: number[] = [];
  const seen = new Set<string>();
  for (let row = 0; row < size; row++) {
    const id = String(columns[ID]![row]).toLowerCase();
    if (stored.has(id) || seen.has(id)) continue; // already in the table (a retried batch): never chained twice
    seen.add(id);
    fresh.push(row);
  }
  if (fresh.length === 0) return 0;
  const chainOfRow = (row: number) => chainOf((columns[WORKSPACE]![row] as string | null) ?? null);
  fresh.sort((a, b) => compare(chainOfRow(a), chainOfRow(b)) || times[a]! - times[b]! || compare(String(columns[ID]![a]), String(columns[ID]![b])));

  const out: unknown[][] = [...AUDIT_COLUMNS, ...AUDIT_CHAIN_COLUMNS].map(() => new Array(fresh.length));
  const salts = randomBytes(SALT_BYTES * fresh.length);
  const touched = new Set<string>();
  fresh.forEach((row, i) => {
    for (let column = 0; column < AUDIT_COLUMNS.length; column++) out[column]![i] = columns[column]![row];
    for (const column of TEXT_COLUMNS) out[column]![i] = storableText(out[column]![i] ?? null);
    out[OCCURRED_AT]![i] = occurred[row];
    const metadata = storableJson(jsonText(columns[METADATA]![row]));
    const changes = storableJson(jsonText(columns[CHANGES]![row]));
    out[METADATA]![i] = metadata.text;
    out[CHANGES]![i] = changes.text;

    const chain = chainOfRow(row);
    const head = heads.get(chain)!;
    touched.add(chain);
    head.seq += 1n;
    const paths = personalPathsOf(rules, metadata.value, changes.value);
    const salt = salts.subarray(i * SALT_BYTES, (i + 1) * SALT_BYTES);
    const text = (column: number) => (out[column]![i] as string | null) ?? null;
    const digest = personalDigest(salt, text(ACTOR_ID), text(IP), text(USER_AGENT), valuesAt({ metadata: metadata.value, changes: changes.value }, paths));
    const content = entryContent({
      seq: head.seq,
      id: String(out[ID]![i]),
      occurredAt: occurred[row]!,
      workspaceId: (out[WORKSPACE]![i] as string | null) ?? null,
      actorKind: text(ACTOR_KIND)!,
      action: text(ACTION)!,
      subject: text(SUBJECT)!,
      subjectId: text(SUBJECT_ID),
      status: text(STATUS)!,
      errorCode: text(ERROR_CODE),
      errorMessage: text(ERROR_MESSAGE),
      requestId: text(REQUEST_ID),
      durationMs: Number(out[DURATION]![i]),
      metadata: metadata.value,
      changes: changes.value,
      personalPaths: paths,
      personalDigest: digest,
    });
    head.hash = chainHash(head.hash, content);
    const n = AUDIT_COLUMNS.length;
    out[n]![i] = head.seq.toString();
    out[n + 1]![i] = head.hash.toString('hex');
    out[n + 2]![i] = digest.toString('hex');
    out[n + 3]![i] = Buffer.from(salt).toString('hex');
    out[n + 4]![i] = JSON.stringify(paths);
  });

  const moved = [...touched];
  const result = await db.query(sql.insert, [
    ...out,
    moved,
    moved.map((chain) => heads.get(chain)!.seq.toString()),
    moved.map((chain) => heads.get(chain)!.hash.toString('hex')),
  ]);
  const inserted = Number(result.rows?.[0]?.inserted ?? result.rowCount ?? 0);
  if (inserted !== fresh.length) throw new AuditChainConflictError(fresh.length, inserted);
  return inserted;
}

/** Locks the heads of `chains` (sorted), creating the missing ones at position 0. */
async function lockHeads(db: ChainQueryable, sql: ChainStatements, chains: string[]): Promise<Map<string, Head>> {
  const heads = new Map<string, Head>();
  const read = (rows: { workspace_id: string; seq: string; hash: string }[] | undefined) => {
    for (const row of rows ?? []) heads.set(row.workspace_id, { seq: BigInt(row.seq), hash: Buffer.from(row.hash, 'hex') });
  };
  read((await db.query(sql.lock, [chains])).rows);
  const missing = chains.filter((chain) => !heads.has(chain));
  if (missing.length > 0) {
    // A chain's first batch: create its head (another writer may be creating it too: that one wins, this one waits).
    await db.query(sql.createHeads, [missing]);
    read((await db.query(sql.lock, [missing])).rows);
  }
  // Until they commit, the heads of this batch's chains are ours, so positions are handed out once.
  return heads;
}

/** The JSON text of a jsonb column value as it travels (text), or of an object given directly. */
function jsonText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? {});
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface ChainPool extends ChainQueryable {
  readonly totalCount: number;
  connect(): Promise<ChainQueryable & { release(error?: Error | boolean): void }>;
}

/** Whether `db` is a pool (each query may run on another connection): a transaction needs a client of its own. */
export function isChainPool(db: unknown): db is ChainPool {
  const candidate = db as Partial<ChainPool> | null;
  return typeof candidate?.connect === 'function' && typeof candidate.totalCount === 'number';
}

/** Runs `work` in a transaction of its own: on a client checked out of `db` when it is a pool, else on `db`. */
export async function inChainTransaction<T>(db: ChainQueryable, work: (client: ChainQueryable) => Promise<T>): Promise<T> {
  const pooled = isChainPool(db) ? await db.connect() : undefined;
  const client = pooled ?? db;
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    }
  } finally {
    // A connection whose ROLLBACK failed is in an unknown state: let the pool discard it.
    pooled?.release(broken);
  }
}
