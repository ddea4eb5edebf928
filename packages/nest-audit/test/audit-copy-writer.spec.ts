import { uuidv7 } from '@acme/nest-context';
import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../src/audit-entry';
import { AuditWriter, insertParameters } from '../src/audit-writer';
import { copyBatch, copyText, refusedByServer, takesCopy } from '../src/copy-batch';
import { AUDIT_SELECT_LIST, auditEntryFromRow } from '../src/query/audit-row';
import { migrateAudit } from '../src/storage/audit-migration';

const WS = '0190a0b2-0000-7000-8000-0000000c0b1e';

/** Text COPY's format gives a meaning to: its escapes, its null, its end-of-data line, and what JSON escapes. */
const HOSTILE = ['tab\there', 'line\nbreak', 'carriage\rreturn', 'back\\slash', '\\N', '\\.', 'quote"s', 'émoji 🧾', ' ', ''];

function entry(i: number, text = HOSTILE[i % HOSTILE.length]!): AuditEntry {
  return {
    id: uuidv7(),
    occurredAt: new Date(Date.UTC(2026, 11, 5, 12, 0, 0, i)),
    workspaceId: i % 7 === 0 ? null : WS,
    actorKind: 'User',
    actorId: text,
    action: 'Update',
    subject: 'Deal',
    subjectId: `deal-${i}`,
    status: i % 3 === 0 ? 'Failure' : 'Success',
    errorCode: i % 3 === 0 ? 'CONFLICT' : null,
    errorMessage: i % 3 === 0 ? text : null,
    requestId: null,
    ip: '203.0.113.7',
    userAgent: text,
    durationMs: i,
    metadata: { text, nested: { list: [text, i] } },
    changes: { title: { from: text, to: `${text}!` } },
  };
}

/** The entries back from the table, oldest first. */
async function storedEntries(pool: pg.Pool): Promise<AuditEntry[]> {
  const { rows } = await pool.query(`SELECT ${AUDIT_SELECT_LIST} FROM audit_log ORDER BY occurred_at, id`);
  return rows.map(auditEntryFromRow);
}

/** A pool that notes the text of every statement sent through `query` (COPY goes through `connect`). */
function notingPool(url: string): pg.Pool & { statements: string[] } {
  const pool = new pg.Pool({ connectionString: url, max: 4 }) as pg.Pool & { statements: string[] };
  pool.statements = [];
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    pool.statements.push(String(typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text));
    return query(...args);
  };
  return pool;
}

/**
 * The writer sends a new batch with COPY (PostgreSQL's bulk path), and falls back to its
 * `INSERT ... ON CONFLICT DO NOTHING` when the COPY fails: a batch sent again (its write was not
 * confirmed) is then stored once, never twice and never lost.
 */
describe('batches written with COPY (PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: pg.Pool & { statements: string[] };
  let writer: AuditWriter;

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'audit_copy_spec' });
    pool = notingPool(database.url);
    await migrateAudit(pool, { timescale: false });
    writer = new AuditWriter(pool, 'audit_log');
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });
  beforeEach(async () => {
    await pool.query("SELECT set_config('acme_audit.maintenance', 'on', true); DELETE FROM audit_log");
    pool.statements.length = 0;
  });

  it('stores a new batch exactly as sent, text COPY gives a meaning to included, with one COPY and no insert', async () => {
    const batch = Array.from({ length: 40 }, (_, i) => entry(i));
    expect(await writer.write(batch)).toBe(40);
    expect(await storedEntries(pool)).toEqual(batch);
    expect(pool.statements.filter((text) => text.startsWith('INSERT'))).toEqual([]);
  });

  it('stores a batch sent again once: the COPY refuses it whole, the insert skips what is stored', async () => {
    const batch = Array.from({ length: 20 }, (_, i) => entry(i));
    expect(await writer.write(batch)).toBe(20);
    expect(await writer.write(batch)).toBe(0);
    // Half of it stored, half new: only the new half is written, nothing twice.
    const more = Array.from({ length: 10 }, (_, i) => entry(100 + i));
    expect(await writer.write([...batch.slice(10), ...more])).toBe(10);
    const stored = await storedEntries(pool);
    expect(stored.map((e) => e.id).sort()).toEqual([...batch, ...more].map((e) => e.id).sort());
  });

  it('writes a batch in column form as it travels through the queue (JSON and back)', async () => {
    const batch = Array.from({ length: 12 }, (_, i) => entry(i));
    const travelled = JSON.parse(JSON.stringify(insertParameters(batch))) as unknown[][];
    expect(await writer.writeColumns(travelled)).toBe(12);
    expect(await storedEntries(pool)).toEqual(batch);
  });

  it('leaves what text cannot carry to the insert, which stores it or refuses it as before', async () => {
    // A year outside 1-9999 stays a Date in column form: the driver sends it, COPY text would not.
    const ancient = { ...entry(1), occurredAt: new Date('-000500-01-01T00:00:00.000Z') };
    expect(copyText(insertParameters([ancient]))).toBeUndefined();
    // NUL: neither COPY nor the insert can store it; the batch fails as it did without COPY.
    const nul = entry(2, 'a\u0000b');
    await expect(writer.write([nul])).rejects.toThrow();
    expect(await storedEntries(pool)).toEqual([]);
  });
});

describe('copyText', () => {
  it('escapes backslash, tab, newline and carriage return, and writes null as \\N', () => {
    expect(
      copyText([
        ['a\tb', null, '\\N'],
        ['c\nd\re\\f', 'x', ''],
      ]),
    ).toBe('a\\tb\tc\\nd\\re\\\\f\n\\N\tx\n\\\\N\t\n');
  });

  it('writes finite numbers, and gives up on anything else', () => {
    expect(copyText([[1, 2.5]])).toBe('1\n2.5\n');
    expect(copyText([[Number.NaN]])).toBeUndefined();
    expect(copyText([[new Date()]])).toBeUndefined();
    expect(copyText([[{}]])).toBeUndefined();
  });
});

describe('refusedByServer', () => {
  it('takes an error PostgreSQL answered for a refusal, never a lost connection', () => {
    expect(refusedByServer(Object.assign(new Error('duplicate key'), { code: '23505', severity: 'ERROR' }))).toBe(true);
    expect(refusedByServer(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' }))).toBe(false);
    expect(refusedByServer(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(false);
    expect(refusedByServer(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(refusedByServer(undefined)).toBe(false);
  });
});

describe('takesCopy', () => {
  it('is true on PostgreSQL, false with TimescaleDB installed or on PGlite, which aborts on COPY', async () => {
    const database = await createTestDatabase({ prefix: 'audit_copy_server' });
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    try {
      expect(await takesCopy(pool)).toBe(true);
    } finally {
      await pool.end();
      await database.drop();
    }
    const timescale = await createTestDatabase({ prefix: 'audit_copy_timescale', server: 'timescale' });
    const client = new pg.Client({ connectionString: timescale.url });
    await client.connect();
    try {
      expect(await takesCopy(client)).toBe(false);
    } finally {
      await client.end();
      await timescale.drop();
    }
    // PGlite's own answer, without TimescaleDB.
    const version =
      'PostgreSQL 17.5 on aarch64-unknown-linux-gnu, compiled by emcc (Emscripten gcc/clang-like replacement + linker emulating GNU ld) 3.1.74, 32-bit';
    expect(await takesCopy({ query: async () => ({ rows: [{ version, timescale: false }], rowCount: 1 }) })).toBe(false);
  });
});

describe('copyBatch', () => {
  it('sends nothing on a client that is not node-postgres JavaScript one (pg-native has no COPY FROM STDIN)', async () => {
    const sent: unknown[] = [];
    const released: unknown[] = [];
    const nativeLike = { query: async (text: unknown) => void sent.push(text), release: (error?: unknown) => void released.push(error) };
    const pool = { totalCount: 1, query: async () => ({ rows: [], rowCount: 0 }), connect: async () => nativeLike };
    expect(await copyBatch(pool as never, 'COPY "audit_log" ("id") FROM STDIN', 'x\n')).toBeUndefined();
    expect(sent).toEqual([]);
    expect(released).toEqual([undefined]);
  });
});
