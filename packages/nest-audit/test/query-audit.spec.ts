import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAuditCursor } from '../src/query/audit-cursor';
import { AuditQuery, type AuditQueryFilters } from '../src/query/audit-query';
import { AuditQueryError } from '../src/query/audit-query.errors';
import { migrateAudit } from '../src/storage/audit-migration';
import { ensureAuditPartitions } from '../src/storage/audit-partitions';
import { asAuditMaintenance } from './support/audit-maintenance';
import { insertAuditRows, testUuid, type StorageTestRow } from './support/storage-rows';

const WS_A = '0190a0b2-0000-7000-8000-0000000000a1';
const WS_B = '0190a0b2-0000-7000-8000-0000000000b2';
const WS_C = '0190a0b2-0000-7000-8000-0000000000c3';
const WS_TIES = '0190a0b2-0000-7000-8000-0000000000d4';
const DAY = 86_400_000;

type Row = StorageTestRow & { occurredAt: Date; actorKind: string; actorId: string; action: string; subject: string; subjectId: string; status: string };

/** A small deterministic PRNG (mulberry32), so the dataset is the same on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function dataset(now: number): Row[] {
  const next = random(42);
  const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)]!;
  const tie = new Date(now - 3 * DAY); // 32 entries of workspace A share this instant
  return Array.from({ length: 3_000 }, (_, n) => {
    const workspaceId = n % 5 === 4 ? WS_C : n % 2 === 0 ? WS_A : WS_B;
    return {
      id: testUuid(n, next().toString(16).slice(2, 10).padEnd(8, '0')), // ids in random order, unrelated to time
      occurredAt: workspaceId === WS_A && n < 80 ? tie : new Date(now - Math.floor(next() * 40 * DAY)),
      workspaceId,
      actorKind: pick(['User', 'User', 'System', 'Job']),
      actorId: pick(['u1', 'u2', 'u3', 'u4', 'u5']),
      action: pick(['Create', 'Update', 'Delete', 'Stage Change']),
      subject: pick(['Deal', 'Company', 'Contact']),
      subjectId: `s${Math.floor(next() * 20)}`,
      status: next() < 0.8 ? 'Success' : 'Failure',
      durationMs: Math.floor(next() * 100),
      metadata: { n },
    };
  });
}

const byKeyset = (a: Row, b: Row) => b.occurredAt.getTime() - a.occurredAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

describe('AuditQuery (PostgreSQL 17)', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let query: AuditQuery;
  let rows: Row[];

  const expected = (filter: (row: Row) => boolean) =>
    rows
      .filter(filter)
      .sort(byKeyset)
      .map((r) => r.id);
  /** Every page of a query, following nextCursor; fails on a repeated id. */
  async function walk(filters: AuditQueryFilters): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let pages = 0;
    let cursor: string | undefined;
    do {
      const page = await query.find({ ...filters, ...(cursor ? { cursor } : {}) });
      pages++;
      ids.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor && pages < 1_000);
    expect(new Set(ids).size).toBe(ids.length);
    return { ids, pages };
  }
  async function errorCode(filters: unknown): Promise<string> {
    const error = await query.find(filters as AuditQueryFilters).catch((e: unknown) => e);
    return error instanceof AuditQueryError ? error.code : `not an AuditQueryError: ${String(error)}`;
  }

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'audit_query' });
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    await migrateAudit(pool, { timescale: 'auto' });
    await ensureAuditPartitions(pool, { from: new Date(Date.now() - 60 * DAY) });
    rows = dataset(Date.now());
    await insertAuditRows(pool, rows);
    await pool.query('ANALYZE audit_log');
    query = new AuditQuery(pool, { table: 'audit_log' });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('returns entries of one workspace, newest first, as AuditEntry objects', async () => {
    const page = await query.find({ workspaceId: WS_B, limit: 5 });
    expect(page.items.map((e) => e.id)).toEqual(expected((r) => r.workspaceId === WS_B).slice(0, 5));
    const first = page.items[0]!;
    const row = rows.find((r) => r.id === first.id)!;
    expect(first).toEqual({
      id: row.id,
      occurredAt: row.occurredAt,
      workspaceId: WS_B,
      actorKind: row.actorKind,
      actorId: row.actorId,
      action: row.action,
      subject: row.subject,
      subjectId: row.subjectId,
      status: row.status,
      errorCode: null,
      errorMessage: null,
      requestId: null,
      ip: null,
      userAgent: null,
      durationMs: row.durationMs,
      metadata: row.metadata,
      changes: {},
    });
    expect(first.occurredAt).toBeInstanceOf(Date);
    expect(typeof page.nextCursor).toBe('string');
  });

  it.each<[string, Omit<AuditQueryFilters, 'workspaceId'>, (row: Row) => boolean]>([
    ['actorId', { actorId: 'u3' }, (r) => r.actorId === 'u3'],
    ['actorKind', { actorKind: 'Job' }, (r) => r.actorKind === 'Job'],
    ['subject', { subject: 'Company' }, (r) => r.subject === 'Company'],
    ['subject and subjectId', { subject: 'Deal', subjectId: 's7' }, (r) => r.subject === 'Deal' && r.subjectId === 's7'],
    ['action', { action: 'Stage Change' }, (r) => r.action === 'Stage Change'],
    ['status', { status: 'Failure' }, (r) => r.status === 'Failure'],
    [
      'several at once',
      { actorKind: 'User', action: 'Update', status: 'Success' },
      (r) => r.actorKind === 'User' && r.action === 'Update' && r.status === 'Success',
    ],
  ])('narrows by %s, within the workspace only', async (_, filters, match) => {
    for (const workspaceId of [WS_A, WS_C]) {
      const want = expected((r) => r.workspaceId === workspaceId && match(r));
      expect(want.length).toBeGreaterThan(0);
      expect(want.length).toBeLessThan(rows.filter((r) => r.workspaceId === workspaceId).length);
      expect((await walk({ workspaceId, ...filters, limit: 500 })).ids).toEqual(want);
    }
  });

  it('narrows by time range: from inclusive, to exclusive, as Dates or ISO strings', async () => {
    const a = rows.filter((r) => r.workspaceId === WS_A).sort(byKeyset);
    const to = a[10]!.occurredAt;
    const from = a[200]!.occurredAt;
    const want = expected((r) => r.workspaceId === WS_A && r.occurredAt >= from && r.occurredAt < to);
    expect((await walk({ workspaceId: WS_A, from, to, limit: 500 })).ids).toEqual(want);
    expect((await walk({ workspaceId: WS_A, from: from.toISOString(), to: to.toISOString(), limit: 500 })).ids).toEqual(want);
    expect(want).toContain(a[200]!.id);
    expect(want).not.toContain(a[10]!.id);
    expect((await query.find({ workspaceId: WS_A, from: to, to: from })).items).toEqual([]);
  });

  it('never returns another workspace, whatever the filters', async () => {
    for (const workspaceId of [WS_A, WS_B, WS_C]) {
      const { ids } = await walk({ workspaceId, limit: 500 });
      expect(ids).toEqual(expected((r) => r.workspaceId === workspaceId));
    }
    const unknown = await query.find({ workspaceId: '0190a0b2-0000-7000-8000-0000000000ff' });
    expect(unknown).toEqual({ items: [], nextCursor: null });
  });

  it('walks every entry exactly once, in order, across pages, also through 32 identical timestamps', async () => {
    const want = expected((r) => r.workspaceId === WS_A);
    expect(new Set(rows.filter((r) => r.workspaceId === WS_A).map((r) => r.occurredAt.getTime())).size).toBeLessThan(want.length - 30);
    const { ids, pages } = await walk({ workspaceId: WS_A, limit: 7 });
    expect(ids).toEqual(want);
    expect(pages).toBe(Math.ceil(want.length / 7));
    const ties = await walk({ workspaceId: WS_A, limit: 3, from: rows[0]!.occurredAt, to: new Date(rows[0]!.occurredAt.getTime() + 1) });
    expect(ties.ids).toEqual(expected((r) => r.workspaceId === WS_A && r.occurredAt.getTime() === rows[0]!.occurredAt.getTime()));
    expect(ties.ids).toHaveLength(32);
  });

  it('keeps microsecond order (a JS Date would round it away)', async () => {
    const second = new Date(Date.now() - 10 * DAY).toISOString().slice(0, 19).replace('T', ' '); // within the partitions
    const stamps = ['.000001', '.000999', '.0005', '.001'].map((fraction) => `${second}${fraction}+00`);
    await insertAuditRows(
      pool,
      stamps.map((occurredAt, i) => ({ id: testUuid(i, '0190ffff'), occurredAt, workspaceId: WS_TIES })),
    );
    const { ids, pages } = await walk({ workspaceId: WS_TIES, limit: 1 });
    expect(ids).toEqual([3, 1, 2, 0].map((i) => testUuid(i, '0190ffff')));
    expect(pages).toBe(4);
  });

  it('does not repeat or skip entries when new ones arrive between pages', async () => {
    const want = expected((r) => r.workspaceId === WS_B);
    const first = await query.find({ workspaceId: WS_B, limit: 50 });
    await insertAuditRows(pool, [{ id: testUuid(9_999), occurredAt: new Date(), workspaceId: WS_B }]);
    const { ids } = await walk({ workspaceId: WS_B, limit: 50, cursor: first.nextCursor! });
    expect([...first.items.map((e) => e.id), ...ids]).toEqual(want);
    await asAuditMaintenance(pool, (client) => client.query('DELETE FROM audit_log WHERE id = $1', [testUuid(9_999)]));
  });

  it('defaults to 50 entries a page and caps the page at 500', async () => {
    expect((await query.find({ workspaceId: WS_A })).items).toHaveLength(50);
    const big = await query.find({ workspaceId: WS_A, limit: 10_000 });
    expect(big.items).toHaveLength(500);
    expect(big.nextCursor).not.toBeNull();
    const rest = await query.find({ workspaceId: WS_A, limit: 500, cursor: big.nextCursor! });
    expect(rest.items).toHaveLength(500);
    const last = await query.find({ workspaceId: WS_A, limit: 500, cursor: rest.nextCursor! });
    expect(last.items).toHaveLength(200); // 1,200 entries in workspace A
    expect(last.nextCursor).toBeNull();
  });

  it('requires a workspace: a typed error, before any SQL runs', async () => {
    for (const filters of [{}, { workspaceId: '' }, { workspaceId: '   ' }, { workspaceId: null }, { workspaceId: undefined, actorId: 'u1' }, undefined]) {
      expect(await errorCode(filters)).toBe('AUDIT_WORKSPACE_REQUIRED');
    }
  });

  it('rejects malformed cursors with AUDIT_INVALID_CURSOR', async () => {
    const real = (await query.find({ workspaceId: WS_A, limit: 1 })).nextCursor!;
    const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
    const bad = [
      'not a cursor!',
      real.slice(0, -4),
      `${real}=`,
      b64('{"a":1'),
      b64({ occurredAt: '2026-01-01T00:00:00.000000Z', id: testUuid(1) }),
      b64(['2026-01-01T00:00:00Z', testUuid(1)]),
      b64(['2026-13-45T00:00:00.000000Z', testUuid(1)]),
      b64(['2026-01-01T00:00:00.000000Z', "1' OR '1'='1"]),
      b64(['2026-01-01T00:00:00.000000Z', testUuid(1), 'extra']),
      b64(['2026-02-30T00:00:00.000000Z', testUuid(1)]), // JS rolls it over to March 2; PostgreSQL refuses it
      b64(['0000-01-01T00:00:00.000000Z', testUuid(1)]),
      b64(['2026-01-01T24:00:00.000000Z', testUuid(1)]),
      'A'.repeat(5_000),
    ];
    for (const cursor of bad) expect(await errorCode({ workspaceId: WS_A, cursor })).toBe('AUDIT_INVALID_CURSOR');
    expect(await errorCode({ workspaceId: WS_A, cursor: encodeAuditCursor({ occurredAt: '2026-01-01T00:00:00.000000Z', id: testUuid(1) }) })).toMatch(
      /^not an AuditQueryError/,
    );
  });

  it('rejects filters of the wrong type or format with AUDIT_INVALID_FILTER', async () => {
    const invalid = [
      { workspaceId: 'workspace-a' },
      { workspaceId: WS_A, limit: 0 },
      { workspaceId: WS_A, limit: 2.5 },
      { workspaceId: WS_A, limit: '10' },
      { workspaceId: WS_A, from: 'yesterday' },
      { workspaceId: WS_A, to: new Date('invalid') },
      { workspaceId: WS_A, actorId: 42 },
      { workspaceId: WS_A, subject: { $ne: null } },
      { workspaceId: WS_A, status: 'failure' },
      { workspaceId: WS_A, actorKind: 'Robot' },
    ];
    for (const filters of invalid) expect(await errorCode(filters)).toBe('AUDIT_INVALID_FILTER');
  });

  it('refuses NUL and unpaired surrogates in any text filter with AUDIT_INVALID_CHARACTERS, before any SQL runs', async () => {
    let statements = 0;
    const counted = new AuditQuery({ query: (text, values) => (statements++, pool.query(text, values)) });
    const code = (filters: unknown) =>
      counted.find(filters as AuditQueryFilters).then(
        () => 'no error',
        (e: unknown) => (e instanceof AuditQueryError ? e.code : String(e)),
      );
    const real = (await query.find({ workspaceId: WS_A, limit: 1 })).nextCursor!;
    const filters = {
      actorId: 'u1',
      actorKind: 'User',
      subject: 'Deal',
      subjectId: 's1',
      action: 'Update',
      status: 'Success',
      from: '2026-01-01',
      to: '2027-01-01',
      cursor: real,
      limit: '10',
    };
    for (const [filter, value] of Object.entries({ ...filters, workspaceId: WS_A })) {
      for (const bad of [
        '\u0000',
        `${value}\u0000`,
        `\u0000${value}`,
        `${value}\uD800`,
        `\uDC00${value}`,
        `${value.slice(0, 1)}\uDBFF\uDBFF${value.slice(1)}`,
      ]) {
        expect({ filter, bad, code: await code({ workspaceId: WS_A, [filter]: bad }) }).toEqual({ filter, bad, code: 'AUDIT_INVALID_CHARACTERS' });
      }
    }
    expect(statements).toBe(0);
    // A surrogate pair (an emoji) is an ordinary character.
    expect(await code({ workspaceId: WS_A, subject: 'Deal \uD83D\uDE00' })).toBe('no error');
    expect(statements).toBe(1);
  });

  it('refuses absurd values with AUDIT_INVALID_FILTER, without echoing them back', async () => {
    for (const filters of [
      { workspaceId: WS_A, subjectId: '9'.repeat(1_001) },
      { workspaceId: WS_A, actorId: 'x'.repeat(1_000_000) },
      { workspaceId: WS_A, from: new Date(Date.UTC(10_000, 0, 1)) },
      { workspaceId: WS_A, to: new Date(Date.UTC(-1, 0, 1)) },
      { workspaceId: WS_A, from: '+099999-01-01T00:00:00Z' },
      { workspaceId: WS_A, from: `2026-01-01${' '.repeat(200)}` },
    ]) {
      const error = await query.find(filters as AuditQueryFilters).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuditQueryError);
      expect((error as AuditQueryError).code).toBe('AUDIT_INVALID_FILTER');
      expect((error as AuditQueryError).message.length).toBeLessThan(300);
    }
    expect((await query.find({ workspaceId: WS_A, subjectId: '9'.repeat(1_000) })).items).toEqual([]);
  });

  it('reads through the workspace index, and the subject index for one subject', async () => {
    // Partition indexes are named after their partition: map them to the index on audit_log.
    const { rows: parents } = await pool.query(
      `SELECT c.relname AS child, p.relname AS parent FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE c.relkind = 'i'`,
    );
    const parentOf = new Map<string, string>(parents.map((r) => [r.child, r.parent]));
    const { rows: holding } = await pool.query('SELECT DISTINCT tableoid::regclass::text AS partition FROM audit_log WHERE workspace_id = $1', [WS_A]);
    /** How the plan reads each partition that holds rows of the workspace: an index name, or 'Seq Scan'. */
    const access = async (filters: AuditQueryFilters) => {
      const { text, values } = query.toSql(filters);
      // On a few hundred rows a sequential scan is the cheapest plan whatever the query, and the
      // choice flips with the statistics. With seq scans priced out, the planner still falls
      // back to one unless an index can serve the filters and the order: that is what we assert.
      const client = await pool.connect();
      const plan = await client
        .query('BEGIN')
        .then(() => client.query('SET LOCAL enable_seqscan = off'))
        .then(() => client.query(`EXPLAIN (FORMAT JSON) ${text}`, values))
        .then((result) => result.rows)
        .finally(() => client.query('ROLLBACK').finally(() => client.release()));
      const used = new Map<string, Set<string>>();
      const visit = (node: any, relation?: string) => {
        const on = node['Relation Name'] ?? relation;
        if (node['Index Name']) used.set(on, (used.get(on) ?? new Set()).add(parentOf.get(node['Index Name']) ?? node['Index Name']));
        if (node['Node Type'] === 'Seq Scan') used.set(on, (used.get(on) ?? new Set()).add('Seq Scan'));
        for (const child of node.Plans ?? []) visit(child, on);
      };
      visit(plan[0]['QUERY PLAN'][0].Plan);
      return holding.map((h) => [...(used.get(h.partition) ?? ['not read'])].join());
    };
    expect(holding.length).toBeGreaterThanOrEqual(2);
    const cursor = (await query.find({ workspaceId: WS_A, limit: 50 })).nextCursor!;
    for (const filters of [{ workspaceId: WS_A }, { workspaceId: WS_A, cursor }, { workspaceId: WS_A, status: 'Failure' as const }]) {
      expect(new Set(await access(filters))).toEqual(new Set(['audit_log_workspace_time_idx']));
    }
    expect(new Set(await access({ workspaceId: WS_A, subject: 'Deal', subjectId: 's7' }))).toEqual(new Set(['audit_log_workspace_subject_idx']));
  });
});
