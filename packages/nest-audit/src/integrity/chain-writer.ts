import { randomBytes } from 'node:crypto';
import { AUDIT_COLUMNS } from '../audit-entry';
import { AuditError } from '../audit.errors';
import { instantText } from '../instant-text';
import { inTransaction, isSqlPool, type SqlQueryable } from '../storage/sql-client';
import { quoteIdentifier } from '../storage/sql-identifier';
import { AUDIT_CHAIN_COLUMNS, canonicalUuid, chainHash, chainOf, entryContentAt, entryContentTail, GENESIS_HASH } from './chain-content';
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

/**
 * A head was not where a speculative write expected it (another transaction moved it first, or
 * the chain has no head yet): the write is rolled back and done again under the heads' lock.
 */
export class AuditChainMovedError extends AuditError {
  readonly code = 'AUDIT_CHAIN_MOVED';
  constructor() {
    super(
      'An audit chain head moved while a batch was being chained speculatively; the batch was rolled back and is written again under the head lock. Nothing to fix: this is how concurrent writers of one workspace take turns.',
    );
  }
}

/** The chain heads could not be read back: the connection answered without rows. */
export class AuditChainHeadError extends AuditError {
  readonly code = 'AUDIT_CHAIN_HEAD_UNREADABLE';
  constructor() {
    super(
      'Audit chain heads could not be read on this connection (its query() answered no rows): pass a pg client, or a Drizzle transaction of the node-postgres or postgres.js driver, to record(..., { transaction }).',
    );
  }
}

const SALT_BYTES = 16;
// Positions in AUDIT_COLUMNS (and in a batch's column arrays) of the columns the chain reads, by name.
const column = (name: (typeof AUDIT_COLUMNS)[number][0]): number => AUDIT_COLUMNS.findIndex(([candidate]) => candidate === name);
const ID = column('id');
const OCCURRED_AT = column('occurred_at');
const WORKSPACE = column('workspace_id');
const ACTOR_KIND = column('actor_kind');
const ACTOR_ID = column('actor_id');
const ACTION = column('action');
const SUBJECT = column('subject');
const SUBJECT_ID = column('subject_id');
const STATUS = column('status');
const ERROR_CODE = column('error_code');
const ERROR_MESSAGE = column('error_message');
const REQUEST_ID = column('request_id');
const IP = column('ip');
const USER_AGENT = column('user_agent');
const DURATION = column('duration_ms');
const METADATA = column('metadata');
const CHANGES = column('changes');
const TEXT_COLUMNS = AUDIT_COLUMNS.flatMap(([, type], i) => (type === 'text' ? [i] : []));

/** The statements of one table, built once. */
export interface ChainStatements {
  lock: string;
  createHeads: string;
  stored: string;
  insert: string;
  /** The heads, read without a lock (a speculative write checks them when it moves them). */
  heads: string;
  /** The rows alone: a speculative write inserts them before it touches a head. */
  insertRows: string;
  /** Moves each head only if it is still where the write expected it (compare and set). */
  advance: string;
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
  const select = [...names, 'chain_seq', `decode(chain_hash, 'hex')`, `decode(personal_digest, 'hex')`, `decode(personal_salt, 'hex')`, 'personal_paths'].join(
    ', ',
  );
  const alias = [...names, 'chain_seq', 'chain_hash', 'personal_digest', 'personal_salt', 'personal_paths'].join(', ');
  const rows = `INSERT INTO ${audit} (${columns}) SELECT ${select} FROM unnest(${arrays}) AS u(${alias}) ON CONFLICT DO NOTHING`;
  return {
    // ORDER BY: heads are locked in one order by every writer, so two batches never deadlock.
    lock: `SELECT "workspace_id"::text AS workspace_id, "seq"::text AS seq, encode("hash", 'hex') AS hash FROM ${heads} WHERE "workspace_id" = ANY($1::uuid[]) ORDER BY "workspace_id" FOR UPDATE`,
    createHeads: `INSERT INTO ${heads} ("workspace_id", "seq", "hash") SELECT w, 0, '\\x${GENESIS_HASH.toString('hex')}'::bytea FROM unnest($1::uuid[]) AS w ORDER BY w ON CONFLICT DO NOTHING`,
    stored: `SELECT id::text AS id FROM ${audit} WHERE id = ANY($1::uuid[]) AND occurred_at BETWEEN $2 AND $3`,
    insert: [
      `WITH inserted AS (${rows} RETURNING 1),`,
      `moved AS (UPDATE ${heads} AS h SET "seq" = m.seq, "hash" = decode(m.hash, 'hex'), "updated_at" = now()`,
      `  FROM unnest($${n + 6}::uuid[], $${n + 7}::bigint[], $${n + 8}::text[]) AS m(workspace_id, seq, hash) WHERE h."workspace_id" = m.workspace_id RETURNING 1)`,
      'SELECT (SELECT count(*) FROM inserted)::int AS inserted, (SELECT count(*) FROM moved)::int AS moved',
    ].join('\n'),
    heads: `SELECT "workspace_id"::text AS workspace_id, "seq"::text AS seq, encode("hash", 'hex') AS hash FROM ${heads} WHERE "workspace_id" = ANY($1::uuid[])`,
    insertRows: rows,
    // Waits for a transaction that holds a head, then compares what it committed: PostgreSQL
    // recomputes SET and RETURNING on the newest row version (a WHERE on seq would be checked
    // against this statement's snapshot and skip the row without waiting). A head elsewhere is
    // left as it is (moved = false) and the caller rolls back.
    advance: [
      `UPDATE ${heads} AS h SET`,
      `  "seq" = CASE WHEN h."seq" = m.from_seq AND h."hash" = decode(m.from_hash, 'hex') THEN m.seq ELSE h."seq" END,`,
      `  "hash" = CASE WHEN h."seq" = m.from_seq AND h."hash" = decode(m.from_hash, 'hex') THEN decode(m.hash, 'hex') ELSE h."hash" END,`,
      `  "updated_at" = now()`,
      `  FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bigint[], $5::text[]) AS m(workspace_id, seq, hash, from_seq, from_hash)`,
      `  WHERE h."workspace_id" = m.workspace_id`,
      `  RETURNING h."seq" = m.seq AND h."hash" = decode(m.hash, 'hex') AS moved`,
    ].join('\n'),
  };
}

/** Where a chain stands: the position and hash of its last entry. */
export interface ChainHead {
  seq: bigint;
  hash: Buffer;
}
type Head = ChainHead;

/** What a caller running several chained transactions at once learns from each, and when. */
export interface ChainWriteHooks {
  /** Where the batch leaves each head of its chains, once hashed (before the insert). */
  onHeads?(heads: ReadonlyMap<string, ChainHead>): void;
  /** The transaction holds the heads it moves: they stay held until it ends. */
  onHeld?(): void;
  /** Awaited before a speculative write moves the heads. */
  beforeAdvance?(): Promise<void>;
}

/** A batch made ready for the chain: everything that does not depend on the chain's head. */
export interface PreparedChainBatch {
  /** The entries' column arrays as they will be stored (text made storable, JSON as inserted). */
  readonly columns: unknown[][];
  /** Per entry, in chain order (chain, occurred_at, id): its row in `columns`. */
  readonly order: readonly number[];
  readonly ids: readonly string[];
  readonly chains: readonly string[];
  /** Per entry: the content without its position (see entryContentTail), digest, salt and paths (hex / JSON). */
  readonly tails: readonly string[];
  readonly digests: readonly string[];
  readonly salts: readonly string[];
  readonly paths: readonly string[];
  /** Per entry: occurred_at in ms. */
  readonly times: readonly number[];
  readonly from: Date;
  readonly to: Date;
}

/**
 * Everything about a batch that does not need the chain's head, computed before any lock is
 * taken: storable text and JSON, personal paths, salts and digests, the content of each entry
 * without its position, and the chain order. Duplicate ids in the batch are kept once.
 */
export function prepareChainBatch(rules: PersonalRules, columns: unknown[][]): PreparedChainBatch {
  const size = columns[ID]!.length;
  const seen = new Set<string>();
  const rows: number[] = [];
  const ids: string[] = [];
  for (let row = 0; row < size; row++) {
    const id = canonicalUuid(String(columns[ID]![row]));
    if (seen.has(id)) continue;
    seen.add(id);
    rows.push(row);
    ids.push(id);
  }
  const out: unknown[][] = AUDIT_COLUMNS.map(() => new Array(rows.length));
  // A batch's entries mostly share a workspace: its chain is worked out once.
  const chainOfWorkspace = new Map<string | null, string>();
  const chains: string[] = [];
  const times: number[] = [];
  const tails: string[] = [];
  const digests: string[] = [];
  const saltsHex: string[] = [];
  const pathsJson: string[] = [];
  const salts = randomBytes(SALT_BYTES * rows.length);
  rows.forEach((row, i) => {
    for (let column = 0; column < AUDIT_COLUMNS.length; column++) out[column]![i] = columns[column]![row] ?? null;
    for (const column of TEXT_COLUMNS) out[column]![i] = storableText(out[column]![i]);
    const occurredAt = new Date(columns[OCCURRED_AT]![row] as Date | string);
    // As ISO 8601 text (what a Date costs node-postgres to format otherwise).
    out[OCCURRED_AT]![i] = instantText(occurredAt);
    const metadata = storableJson(jsonText(columns[METADATA]![row]));
    const changes = storableJson(jsonText(columns[CHANGES]![row]));
    out[METADATA]![i] = metadata.text;
    out[CHANGES]![i] = changes.text;
    const text = (column: number) => (out[column]![i] as string | null) ?? null;
    const paths = personalPathsOf(rules, metadata.value, changes.value);
    const salt = salts.subarray(i * SALT_BYTES, (i + 1) * SALT_BYTES);
    const digest = personalDigest(salt, text(ACTOR_ID), text(IP), text(USER_AGENT), valuesAt({ metadata: metadata.value, changes: changes.value }, paths));
    const workspace = text(WORKSPACE);
    let chain = chainOfWorkspace.get(workspace);
    if (chain === undefined) chainOfWorkspace.set(workspace, (chain = chainOf(workspace)));
    chains.push(chain);
    times.push(occurredAt.getTime());
    tails.push(
      entryContentTail({
        id: String(out[ID]![i]),
        occurredAt,
        workspaceId: text(WORKSPACE),
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
      }),
    );
    digests.push(digest.toString('hex'));
    saltsHex.push(salts.toString('hex', i * SALT_BYTES, (i + 1) * SALT_BYTES));
    pathsJson.push(JSON.stringify(paths));
  });
  return finish({ columns: out, ids, chains, times, tails, digests, salts: saltsHex, paths: pathsJson });
}

type BatchParts = Pick<PreparedChainBatch, 'columns' | 'ids' | 'chains' | 'tails' | 'digests' | 'salts' | 'paths'> & { times: readonly number[] };

function finish(parts: BatchParts): PreparedChainBatch {
  const { ids, chains, times } = parts;
  const order = ids.map((_, i) => i);
  order.sort((a, b) => compare(chains[a]!, chains[b]!) || times[a]! - times[b]! || compare(ids[a]!, ids[b]!));
  let from = Infinity;
  let to = -Infinity;
  for (const time of times) {
    if (time < from) from = time;
    if (time > to) to = time;
  }
  return { ...parts, order, times, from: new Date(Number.isFinite(from) ? from : 0), to: new Date(Number.isFinite(to) ? to : 0) };
}

/** Several prepared batches as one (an entry in more than one is kept once), chained in one transaction. */
export function mergeChainBatches(batches: readonly PreparedChainBatch[]): PreparedChainBatch {
  if (batches.length === 1) return batches[0]!;
  const parts: { [K in keyof BatchParts]: unknown[] } = { columns: [], ids: [], chains: [], times: [], tails: [], digests: [], salts: [], paths: [] };
  const columns: unknown[][] = AUDIT_COLUMNS.map(() => []);
  const seen = new Set<string>();
  for (const batch of batches) {
    batch.ids.forEach((id, i) => {
      if (seen.has(id)) return;
      seen.add(id);
      for (let column = 0; column < columns.length; column++) columns[column]!.push(batch.columns[column]![i]);
      for (const key of ['ids', 'chains', 'times', 'tails', 'digests', 'salts', 'paths'] as const) parts[key].push(batch[key][i]);
    });
  }
  return finish({ ...(parts as unknown as BatchParts), columns });
}

/**
 * Writes one batch (in column form, as it travels) into the hash chains of its workspaces, on a
 * connection already inside a transaction: see `writePreparedChain`.
 */
export async function writeChained(db: ChainQueryable, sql: ChainStatements, rules: PersonalRules, columns: unknown[][]): Promise<number> {
  return (await writePreparedChain(db, sql, prepareChainBatch(rules, columns), { skipStored: true })).size;
}

/**
 * Writes a prepared batch on a connection inside a transaction: locks the heads of the batch's
 * chains (sorted), skips entries the table has (`skipStored`), gives the others the next
 * positions in (occurred_at, id) order, hashes each to the one before, then inserts them and
 * moves the heads in one statement. Returns the ids of the entries that were new.
 *
 * Without `skipStored` the stored entries are not looked up first (one round trip less): when
 * the batch meets one, fewer rows insert than were chained and `AuditChainConflictError` is
 * thrown, so the caller rolls back and writes the batch again with `skipStored`.
 */
export async function writePreparedChain(
  db: ChainQueryable,
  sql: ChainStatements,
  batch: PreparedChainBatch,
  { skipStored, ...hooks }: { skipStored: boolean } & ChainWriteHooks,
): Promise<Set<string>> {
  if (batch.order.length === 0) return new Set();
  const chains = [...new Set(batch.chains)].sort();
  const heads = await lockHeads(db, sql, chains);
  hooks.onHeld?.();
  let fresh = batch.order;
  if (skipStored) {
    const stored = new Set(((await db.query(sql.stored, [batch.ids, batch.from, batch.to])).rows ?? []).map((row: { id: string }) => row.id));
    // Already in the table (a retried batch): never chained twice.
    if (stored.size > 0) fresh = fresh.filter((i) => !stored.has(batch.ids[i]!));
  }
  if (fresh.length === 0) return new Set();

  const out = chainRows(batch, fresh, heads);
  hooks.onHeads?.(heads);
  const moved = [...new Set(fresh.map((i) => batch.chains[i]!))];
  const result = await db.query(sql.insert, [
    ...out,
    moved,
    moved.map((chain) => heads.get(chain)!.seq.toString()),
    moved.map((chain) => heads.get(chain)!.hash.toString('hex')),
  ]);
  const inserted = Number(result.rows?.[0]?.inserted ?? result.rowCount ?? 0);
  if (inserted !== fresh.length) throw new AuditChainConflictError(fresh.length, inserted);
  return new Set(fresh.map((i) => batch.ids[i]!));
}

/**
 * Writes a prepared batch on a connection inside a transaction without locking the heads first,
 * so the inserts of several transactions of one chain run side by side: gives the entries the
 * positions after `expected` (per chain: where the head will be once the transaction before
 * this one commits; a chain not in it is read as it stands), tells `onHeads` where the batch
 * leaves each head (the next transaction speculates on that), inserts the rows, and only then
 * moves the heads, each on the condition that it is still where expected. That last statement
 * waits for a transaction that holds the head and compares what it committed, so transactions
 * of one chain still commit one after the other, in position order, and a chain never forks.
 *
 * Throws `AuditChainMovedError` when a head was elsewhere (or missing: a new chain's head is
 * created under the lock) and `AuditChainConflictError` when an entry was stored already; the
 * caller then rolls back and writes the batch with `writePreparedChain` (`skipStored`).
 */
export async function writeSpeculativeChain(
  db: ChainQueryable,
  sql: ChainStatements,
  batch: PreparedChainBatch,
  expected: ReadonlyMap<string, ChainHead>,
  hooks: ChainWriteHooks = {},
): Promise<Set<string>> {
  if (batch.order.length === 0) return new Set();
  const chains = [...new Set(batch.chains)].sort();
  const from = new Map<string, Head>();
  for (const [chain, head] of expected) from.set(chain, { seq: head.seq, hash: head.hash });
  const unknown = chains.filter((chain) => !from.has(chain));
  if (unknown.length > 0) {
    const { rows } = await db.query(sql.heads, [unknown]);
    for (const row of (rows ?? []) as { workspace_id: string; seq: string; hash: string }[]) {
      from.set(row.workspace_id, { seq: BigInt(row.seq), hash: Buffer.from(row.hash, 'hex') });
    }
    if (unknown.some((chain) => !from.has(chain))) throw new AuditChainMovedError();
  }
  const heads = new Map<string, Head>(chains.map((chain) => [chain, { ...from.get(chain)! }]));
  const out = chainRows(batch, batch.order, heads);
  hooks.onHeads?.(heads);
  const result = await db.query(sql.insertRows, out);
  if (result.rowCount !== batch.order.length) throw new AuditChainConflictError(batch.order.length, result.rowCount ?? 0);
  await hooks.beforeAdvance?.();
  const advanced = await db.query(sql.advance, [
    chains,
    chains.map((chain) => heads.get(chain)!.seq.toString()),
    chains.map((chain) => heads.get(chain)!.hash.toString('hex')),
    chains.map((chain) => from.get(chain)!.seq.toString()),
    chains.map((chain) => from.get(chain)!.hash.toString('hex')),
  ]);
  if ((advanced.rows ?? []).filter((row: { moved: boolean }) => row.moved).length !== chains.length) throw new AuditChainMovedError();
  hooks.onHeld?.();
  return new Set(batch.ids);
}

/**
 * The insert's parameters, one per column, for the entries at `rows` (in chain order), each given the next
 * position after its chain's head in `heads` and hashed to the entry before; `heads` is moved.
 */
function chainRows(batch: PreparedChainBatch, rows: readonly number[], heads: Map<string, Head>): unknown[] {
  const out: unknown[][] = [...AUDIT_COLUMNS, ...AUDIT_CHAIN_COLUMNS].map(() => new Array(rows.length));
  const n = AUDIT_COLUMNS.length;
  rows.forEach((i, at) => {
    for (let column = 0; column < n; column++) out[column]![at] = batch.columns[column]![i];
    const head = heads.get(batch.chains[i]!)!;
    head.seq += 1n;
    head.hash = chainHash(head.hash, entryContentAt(head.seq, batch.tails[i]!));
    out[n]![at] = head.seq.toString();
    out[n + 1]![at] = head.hash.toString('hex');
    out[n + 2]![at] = batch.digests[i];
    out[n + 3]![at] = batch.salts[i];
    out[n + 4]![at] = batch.paths[i];
  });
  // Positions and hex digests as array literals made here: node-postgres would quote and escape
  // each element of them (two regular expressions apiece), for text that holds only [0-9a-f].
  return out.map((values, column) => (column >= n && column < n + 4 ? arrayLiteral(values as string[]) : values));
}

/** `{a,b,c}`: a PostgreSQL array literal of elements that need no quoting (digits and hex digits only). */
function arrayLiteral(elements: readonly string[]): string {
  return `{${elements.join(',')}}`;
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
  if (heads.size < chains.length) throw new AuditChainHeadError();
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

/** Whether `db` is a pool (each query may run on another connection): a transaction needs a client of its own. */
export function isChainPool(db: unknown): boolean {
  return isSqlPool(db);
}

/** Runs `work` in a transaction of its own: on a client checked out of `db` when it is a pool, else on `db`. */
export function inChainTransaction<T>(db: ChainQueryable, work: (client: ChainQueryable) => Promise<T>): Promise<T> {
  return inTransaction(db as SqlQueryable, work);
}
