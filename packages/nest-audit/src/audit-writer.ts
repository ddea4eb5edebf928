import { AUDIT_COLUMNS, type AuditEntry } from './audit-entry';
import { copyBatch, copyText, refusedByServer, takesCopy } from './copy-batch';
import { instantText } from './instant-text';
import {
  AuditChainConflictError,
  AuditChainMovedError,
  chainStatements,
  inChainTransaction,
  isChainPool,
  mergeChainBatches,
  prepareChainBatch,
  writePreparedChain,
  writeSpeculativeChain,
  type ChainHead,
  type ChainStatements,
  type PreparedChainBatch,
} from './integrity/chain-writer';
import type { PersonalRules } from './integrity/personal-data';
import { isSqlPool, type SqlPool } from './storage/sql-client';
import { quoteIdentifier } from './storage/sql-identifier';

/** Anything that runs a parameterized query: a pg Pool, PoolClient or Client. */
export interface Queryable {
  query(text: string, params?: unknown[]): Promise<{ rowCount: number | null; rows?: any[] }>;
}

/** `"schema"."table"` (the names were validated with the options at bootstrap). */
export function qualifiedTable(table: string, schema?: string): string {
  return schema ? `${quoteIdentifier(schema)}.${quoteIdentifier(table)}` : quoteIdentifier(table);
}

/** `"id", "occurred_at", ...`: the columns a batch writes, in AUDIT_COLUMNS order. */
const COLUMN_LIST = AUDIT_COLUMNS.map(([name]) => `"${name}"`).join(', ');

/**
 * The insert for a batch: one statement whatever the batch size (one array parameter per
 * column, `unnest`ed), so it never meets the 65,535-parameter limit and costs one round trip.
 * `ON CONFLICT DO NOTHING` on (id, occurred_at) makes a retried batch a no-op.
 */
export function insertStatement(table: string, schema?: string): string {
  const arrays = AUDIT_COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  return `INSERT INTO ${qualifiedTable(table, schema)} (${COLUMN_LIST}) SELECT * FROM unnest(${arrays}) ON CONFLICT DO NOTHING`;
}

/** The COPY a new batch is written with first (see `AuditWriter.writeColumns`). */
export function copyStatement(table: string, schema?: string): string {
  return `COPY ${qualifiedTable(table, schema)} (${COLUMN_LIST}) FROM STDIN`;
}

/**
 * The column arrays of a batch, in AUDIT_COLUMNS order: the insert's parameters, and also the
 * form a batch travels in through the queue (compact JSON, nothing to convert on arrival):
 * occurred_at as ISO text, metadata and changes as JSON text.
 */
export function insertParameters(entries: readonly AuditEntry[]): unknown[][] {
  const columns: unknown[][] = AUDIT_COLUMNS.map(() => new Array(entries.length));
  entries.forEach((e, row) => {
    const values = [
      e.id,
      instantText(e.occurredAt),
      e.workspaceId,
      e.actorKind,
      e.actorId,
      e.action,
      e.subject,
      e.subjectId,
      e.status,
      e.errorCode,
      e.errorMessage,
      e.requestId,
      e.ip,
      e.userAgent,
      Math.round(e.durationMs),
      JSON.stringify(e.metadata),
      JSON.stringify(e.changes),
    ];
    values.forEach((value, column) => (columns[column]![row] = value));
  });
  return columns;
}

/**
 * Chained transactions a writer has open at once. They insert side by side (see
 * writeSpeculativeChain) and commit one after the other per workspace.
 */
const GROUPS_IN_FLIGHT = 2;

/** SQLSTATE of a transaction PostgreSQL rolled back to break a deadlock. */
const DEADLOCK_DETECTED = '40P01';

/** Most entries chained in one transaction when batches wait for each other (a few default batches). */
const MAX_GROUP_ENTRIES = 5_000;

/** Longest a transaction following another waits for it to hold the heads before moving them itself. */
const FOLLOW_WAIT_MS = 2_000;

/** A chained transaction in flight, as the one behind it sees it. */
interface InFlightChain {
  /** Where it leaves the heads of its chains, once hashed; undefined when it failed before. */
  heads: Promise<ReadonlyMap<string, ChainHead> | undefined>;
  /** Resolves once it holds the heads it moves (or has ended). */
  held: Promise<void>;
}

function withinMs(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    work.then(done, done);
  });
}

interface WaitingBatch {
  db: Queryable;
  batch: PreparedChainBatch;
  resolve(inserted: number): void;
  reject(error: unknown): void;
}

/**
 * Writes batches of entries; idempotent per entry id. With `chain` (the compiled `personal`
 * rules of `integrity`), every batch is written into the per-workspace hash chains, in a
 * transaction of its own or in the caller's (see `writeChained`).
 */
export class AuditWriter {
  private readonly statement: string;
  private readonly copy: string;
  /** Whether the server takes COPY (asked at the first batch; asked again after a failure to ask). */
  private copyServer?: Promise<boolean>;
  private readonly storedStatement: string;
  private readonly chainSql: ChainStatements | undefined;
  private readonly waiting: WaitingBatch[] = [];
  private draining = 0;
  /** Per chain: the newest transaction this writer has in flight on it. */
  private readonly tails = new Map<string, InFlightChain>();

  constructor(
    private readonly db: Queryable,
    table: string,
    schema?: string,
    private readonly chain?: PersonalRules,
  ) {
    this.statement = insertStatement(table, schema);
    this.copy = copyStatement(table, schema);
    this.chainSql = chain ? chainStatements(table, schema) : undefined;
    // The time range lets partitions and chunks outside it be skipped; (id, occurred_at) is the key.
    this.storedStatement = `SELECT id::text AS id FROM ${qualifiedTable(table, schema)} WHERE id = ANY($1::uuid[]) AND occurred_at BETWEEN $2 AND $3`;
  }

  /**
   * Batches chained in transactions of their own go at most GROUPS_IN_FLIGHT transactions at a
   * time per writer: they would wait for each other on the heads' locks anyway. The batches that
   * arrive meanwhile are chained together in the next transaction (up to MAX_GROUP_ENTRIES
   * entries): one lock, one insert, one commit for all of them.
   */
  private chainInGroup(db: Queryable, batch: PreparedChainBatch): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ db, batch, resolve, reject });
      if (this.draining < GROUPS_IN_FLIGHT) void this.drainGroups();
    });
  }

  private async drainGroups(): Promise<void> {
    this.draining++;
    try {
      while (this.waiting.length > 0) {
        const db = this.waiting[0]!.db;
        const group: WaitingBatch[] = [];
        let entries = 0;
        for (let i = 0; i < this.waiting.length && (group.length === 0 || entries + this.waiting[i]!.batch.ids.length <= MAX_GROUP_ENTRIES);) {
          const next = this.waiting[i]!;
          if (next.db !== db) {
            i++;
            continue;
          }
          this.waiting.splice(i, 1);
          group.push(next);
          entries += next.batch.ids.length;
        }
        try {
          const written = await this.chainOwn(db, mergeChainBatches(group.map((item) => item.batch)));
          for (const item of group) item.resolve(item.batch.ids.filter((id) => written.delete(id)).length);
        } catch (error) {
          if (group.length === 1) {
            group[0]!.reject(error);
            continue;
          }
          // One bad batch must not hold back the others: each is written on its own.
          for (const item of group) await this.chainOwn(db, item.batch).then((written) => item.resolve(written.size), item.reject);
        }
      }
    } finally {
      this.draining--;
    }
  }

  /**
   * A batch is almost always new and its workspace's head almost always where this writer's
   * transaction before it leaves it. With no transaction of this writer in flight on its chains,
   * the batch leads: it locks the heads, then inserts (no stored lookup). Behind one, it follows:
   * it takes the positions after that transaction's, inserts beside it without a lock, and moves
   * the heads only once the one before holds them (so it waits in PostgreSQL for that commit) and
   * only if they are where expected. When a batch meets a stored entry (a retried batch), a head
   * that moved (another process wrote), or a new workspace, it is rolled back and written again
   * under the heads' lock, skipping stored entries.
   */
  private async chainOwn(db: Queryable, batch: PreparedChainBatch): Promise<Set<string>> {
    const sql = this.chainSql!;
    const chains = [...new Set(batch.chains)];
    const before = new Set(chains.flatMap((chain) => this.tails.get(chain) ?? []));
    const first = this.follow(chains);
    try {
      if (before.size === 0) return await inChainTransaction(db, (client) => writePreparedChain(client, sql, batch, { skipStored: false, ...first.hooks }));
      // Known before a connection is taken: the transaction before never waits for this one.
      const expected = new Map<string, ChainHead>();
      for (const previous of before) for (const [chain, head] of (await previous.heads) ?? []) if (chains.includes(chain)) expected.set(chain, head);
      // Bounded: should the one before ever wait on this one in PostgreSQL, this one moves on, fails its compare and retries.
      const beforeAdvance = () => withinMs(Promise.all([...before].map((previous) => previous.held)), FOLLOW_WAIT_MS);
      return await inChainTransaction(db, (client) => writeSpeculativeChain(client, sql, batch, expected, { ...first.hooks, beforeAdvance }));
    } catch (error) {
      // A deadlock PostgreSQL broke (writers creating or moving the heads of several workspaces at once) is retried too.
      const retry =
        error instanceof AuditChainConflictError || error instanceof AuditChainMovedError || (error as { code?: unknown }).code === DEADLOCK_DETECTED;
      if (!retry) throw error;
      // The retry leads: batches arriving meanwhile follow it, not the attempt that failed.
      const again = this.follow(chains, first.self);
      first.end();
      try {
        return await inChainTransaction(db, (client) => writePreparedChain(client, sql, batch, { skipStored: true, ...again.hooks }));
      } finally {
        again.end();
      }
    } finally {
      first.end();
    }
  }

  /**
   * Registers a transaction on `chains` as the one the next batches of those chains follow
   * (taking over from `replacing`, where that one is still the newest); `end` withdraws it.
   */
  private follow(chains: readonly string[], replacing?: InFlightChain) {
    let settle!: (heads: ReadonlyMap<string, ChainHead> | undefined) => void;
    let hold!: () => void;
    const self: InFlightChain = {
      heads: new Promise((resolve) => (settle = resolve)),
      held: new Promise<void>((resolve) => (hold = resolve)),
    };
    for (const chain of chains) if (!replacing || this.tails.get(chain) === replacing) this.tails.set(chain, self);
    return {
      self,
      hooks: { onHeads: settle, onHeld: hold },
      end: () => {
        settle(undefined); // no-op once settled
        hold();
        for (const chain of chains) if (this.tails.get(chain) === self) this.tails.delete(chain);
      },
    };
  }

  /** Which of these entries (ids, and the time range they happened in) the table has. */
  async stored(ids: readonly string[], from: Date, to: Date): Promise<Set<string>> {
    const result = (await this.db.query(this.storedStatement, [ids, from, to])) as { rows?: { id: string }[] };
    return new Set((result.rows ?? []).map((row) => row.id));
  }

  /** Inserts the batch; returns how many rows were new. */
  async write(entries: readonly AuditEntry[], via: Queryable = this.db): Promise<number> {
    if (entries.length === 0) return 0;
    return this.writeColumns(insertParameters(entries), via);
  }

  /**
   * Inserts a batch already in column form (as it travels through the queue): on the writer's
   * own pool with COPY (PostgreSQL's bulk path, about a third less of its CPU per entry than the
   * insert), else with the insert. With the chain on,
   * `via` other than a pool is a connection inside the caller's transaction (outbox): the heads
   * of the batch's chains stay locked until that transaction ends.
   */
  async writeColumns(columns: unknown[][], via: Queryable = this.db): Promise<number> {
    if (this.chain) {
      const sql = this.chainSql!;
      // Hashing inputs, digests and salts are computed before the heads are locked: the lock covers only the chaining and the insert.
      const batch = prepareChainBatch(this.chain, columns);
      if (via !== this.db && !isChainPool(via)) return (await writePreparedChain(via, sql, batch, { skipStored: true })).size;
      return this.chainInGroup(via, batch);
    }
    if (via === this.db && isSqlPool(via)) {
      const copied = await this.copyNew(via, columns);
      if (copied !== undefined) return copied;
    }
    const result = await via.query(this.statement, columns);
    return result.rowCount ?? 0;
  }

  /**
   * The batch written with COPY: its row count, or undefined when the insert must write it
   * instead. A COPY PostgreSQL refused wrote nothing (one statement, outside any transaction):
   * the insert then writes the batch, skipping entries already stored (a batch sent again), or
   * fails as it would have anyway. Any other failure (a lost connection) fails the write, which
   * is retried later.
   */
  private async copyNew(pool: SqlPool, columns: unknown[][]): Promise<number | undefined> {
    this.copyServer ??= takesCopy(pool).catch(() => {
      this.copyServer = undefined;
      return false;
    });
    if (!(await this.copyServer)) return undefined;
    const text = copyText(columns);
    if (text === undefined) return undefined;
    return copyBatch(pool, this.copy, text).catch((error: unknown) => {
      if (refusedByServer(error)) return undefined;
      throw error;
    });
  }
}

/** Entries as they travel through Redis or the spool (JSON), and back. */
export function reviveEntries(entries: readonly AuditEntry[]): AuditEntry[] {
  return entries.map((entry) => ({ ...entry, occurredAt: new Date(entry.occurredAt) }));
}
