import { ContextService } from '@acme/nest-context';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TenantDb } from '@acme/nest-tenancy';
import { createTenancyFixture, WS_A, WS_B, type TenancyFixture } from './support/database';
import { companies, schema } from './support/schema';

const context = new ContextService();
const inWorkspace = <T>(workspaceId: string, fn: () => Promise<T>) => context.run({ workspaceId, actor: { kind: 'User', id: 'u' } }, fn);

/** The RLS unit of work every request runs in: what it sends, what it commits, where its connection goes. */
describe('RLS unit of work on a node-postgres pool', () => {
  let fixture: TenancyFixture;
  let pool: pg.Pool;
  let statements: string[];
  let params: unknown[][];
  /** ReadyForQuery messages the pool's connections received: one per round trip. */
  let roundTrips: number;
  let db: TenantDb<typeof schema>;

  beforeAll(async () => {
    fixture = await createTenancyFixture();
    pool = new pg.Pool({ connectionString: fixture.appUrl, max: 2 });
    pool.on('connect', (client) => (client as unknown as { connection: pg.Connection }).connection.on('readyForQuery', () => roundTrips++));
    const logger = {
      logQuery: (query: string, values: unknown[]) => {
        statements.push(query);
        params.push(values);
      },
    };
    db = new TenantDb(drizzle(pool, { schema, logger }), { rls: true });
  });
  afterAll(async () => {
    await pool.end();
    await fixture.close();
  });
  beforeEach(async () => {
    statements = [];
    params = [];
    roundTrips = 0;
    await fixture.admin.delete(companies);
  });

  it('sends begin and the workspace with the first statement, in one round trip, then commits', async () => {
    await inWorkspace(WS_A, () => db.transaction(() => db.insert(companies).values({ name: 'Acme' })));
    // Drizzle logs a query before sending it, so the opening sent with it is logged after it.
    expect(statements[0]).toMatch(/^insert into "companies"/);
    expect(statements[1]).toBe('begin; select set_config($1, $2, true)');
    expect(params[1]).toEqual(['app.workspace_id', WS_A]);
    expect(statements.at(-1)).toBe('commit');
    expect(statements).toHaveLength(3);
    expect(roundTrips).toBe(2); // begin + set_config + insert, then commit
    const rows = await fixture.admin.select().from(companies);
    expect(rows.map((r) => [r.name, r.workspaceId])).toEqual([['Acme', WS_A]]);
  });

  it('answers each statement with its own result, the opening’s answers left out', async () => {
    await fixture.admin.insert(companies).values([
      { name: 'Mine', workspaceId: WS_A },
      { name: 'Theirs', workspaceId: WS_B },
    ]);
    const seen = await inWorkspace(WS_A, () =>
      db.transaction(async () => {
        const first = await db.execute<{ name: string; ws: string }>(
          sql`select name, current_setting('app.workspace_id') as ws from companies where name <> ${'x'}`,
        );
        const second = await db.select().from(companies);
        return { first: first.rows, rowCount: first.rowCount, command: first.command, second: second.map((r) => r.name) };
      }),
    );
    expect(seen).toEqual({ first: [{ name: 'Mine', ws: WS_A }], rowCount: 1, command: 'SELECT', second: ['Mine'] });
    expect(roundTrips).toBe(3);
  });

  it('a first statement that fails rolls the opened transaction back, and the connection serves the next', async () => {
    const error = await inWorkspace(WS_A, () => db.transaction(() => db.execute(sql`select 1 / ${0}::int`))).catch((e: unknown) => e);
    expect(error).toMatchObject({ cause: expect.objectContaining({ code: '22012' }) }); // division by zero
    expect(statements.at(-1)).toBe('rollback');
    await inWorkspace(WS_B, () => db.transaction(() => db.insert(companies).values({ name: 'After' })));
    expect((await fixture.admin.select().from(companies)).map((r) => [r.name, r.workspaceId])).toEqual([['After', WS_B]]);
  });

  it('binds the workspace id as a parameter, never splices it', async () => {
    // Runs in a workspace no UUID policy can match: Postgres must see the whole id as one
    // value (and refuse it as a uuid in the policy), not as SQL.
    const hostile = "a'; select pg_sleep(5); --";
    const error = await inWorkspace(hostile, () => db.transaction(() => db.select().from(companies))).catch((e: unknown) => e);
    expect(params[1]).toEqual(['app.workspace_id', hostile]);
    expect(error).toMatchObject({ cause: expect.objectContaining({ code: '22P02' }) }); // invalid input syntax for type uuid
    expect(statements.at(-1)).toBe('rollback');
  });

  it('a first statement without parameters opens the transaction on its own, the workspace quoted (pg escapeLiteral)', async () => {
    const hostile = "a'; select pg_sleep(5); --";
    const error = await inWorkspace(hostile, () => db.transaction(() => db.execute(sql`select count(*) from companies`))).catch((e: unknown) => e);
    expect(statements[1]).toBe(`begin; select set_config('app.workspace_id', 'a''; select pg_sleep(5); --', true)`);
    expect(error).toMatchObject({ cause: expect.objectContaining({ code: '22P02' }) });
    statements = [];
    roundTrips = 0;
    const [row] = (await inWorkspace(WS_A, () => db.transaction(() => db.execute(sql`select count(*)::int as n from companies`)))).rows;
    expect(row).toEqual({ n: 0 });
    expect(roundTrips).toBe(3);
    // A workspace id that cannot travel as text (NUL) takes the parameterised path instead.
    statements = [];
    await inWorkspace('a\u0000b', () => db.transaction(() => db.select().from(companies))).catch(() => undefined);
    expect(statements[0]).toBe('begin');
  });

  it('a unit of work that sends no statement (a cached answer, a refusal) never checks out a connection', async () => {
    const before = { total: pool.totalCount, idle: pool.idleCount };
    const answer = await inWorkspace(WS_A, () => db.transaction(async () => 'from the cache'));
    expect(answer).toBe('from the cache');
    expect(statements).toEqual([]);
    expect({ total: pool.totalCount, idle: pool.idleCount }).toEqual(before);
    expect(pool.waitingCount).toBe(0);
  });

  it('a connection lost while the unit of work holds it fails that request only: no crash, and the pool serves the next', async () => {
    const lost = inWorkspace(WS_A, () =>
      db.transaction(async () => {
        const { rows } = await db.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
        await fixture.admin.execute(sql`select pg_terminate_backend(${rows[0]!.pid})`);
        // The server closes the socket while no query is in flight: node-postgres reports it as an
        // 'error' event on the checked-out client, which must not become an unhandled error.
        await new Promise((resolve) => setTimeout(resolve, 200));
        await db.insert(companies).values({ name: 'Never stored' });
      }),
    );
    await expect(lost).rejects.toThrow();
    await inWorkspace(WS_A, () => db.transaction(() => db.insert(companies).values({ name: 'Next request' })));
    expect((await fixture.admin.select().from(companies)).map((row) => row.name)).toEqual(['Next request']);
  });

  it('rolls back when the callback throws, and the error reaches the caller', async () => {
    const failing = inWorkspace(WS_A, () =>
      db.transaction(async () => {
        await db.insert(companies).values({ name: 'Half done' });
        throw new Error('boom');
      }),
    );
    await expect(failing).rejects.toThrow('boom');
    expect(statements.at(-1)).toBe('rollback');
    expect(await fixture.admin.select().from(companies)).toEqual([]);
  });

  it('nested transactions are savepoints of the same transaction', async () => {
    await inWorkspace(WS_A, () =>
      db.transaction(async () => {
        await db.insert(companies).values({ name: 'Kept' });
        await db
          .transaction(async () => {
            await db.insert(companies).values({ name: 'Undone' });
            db.rollback();
          })
          .catch(() => undefined);
      }),
    );
    expect(statements).toContain('savepoint sp1');
    expect((await fixture.admin.select().from(companies)).map((r) => r.name)).toEqual(['Kept']);
  });

  it('hands every connection back, and the next workspace on it sees only its own rows', async () => {
    await inWorkspace(WS_A, () => db.transaction(() => db.insert(companies).values({ name: 'A row' })));
    const seen = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const workspaceId = i % 2 ? WS_A : WS_B;
        return inWorkspace(workspaceId, () => db.transaction(async () => (await db.select().from(companies)).map((r) => r.name)));
      }),
    );
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? ['A row'] : [])));
    expect(pool.totalCount).toBeLessThanOrEqual(2);
    expect(pool.idleCount).toBe(pool.totalCount);
    // A query on a returned connection, outside any unit of work, sees no workspace at all.
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM companies`);
    expect(rows[0].n).toBe(0);
  });

  it('a transaction for another workspace inside a unit of work is a transaction of its own, in that workspace', async () => {
    const seen = await inWorkspace(WS_A, () =>
      db.transaction(async () => {
        await db.insert(companies).values({ name: 'From A' });
        // What Tenancy.runInWorkspace(B) does during a request of A.
        const inB = await inWorkspace(WS_B, () =>
          db.transaction(async () => {
            await db.insert(companies).values({ name: 'From B' });
            return (await db.select().from(companies)).map((r) => r.name);
          }),
        );
        const inA = (await db.select().from(companies)).map((r) => r.name);
        return { inA, inB };
      }),
    );
    expect(seen).toEqual({ inA: ['From A'], inB: ['From B'] });
    const rows = await fixture.admin.select().from(companies).orderBy(companies.name);
    expect(rows.map((r) => [r.name, r.workspaceId])).toEqual([
      ['From A', WS_A],
      ['From B', WS_B],
    ]);
  });

  it('with transaction options it uses Drizzle’s begin and a separate set_config', async () => {
    await inWorkspace(WS_B, () => db.transaction(() => db.insert(companies).values({ name: 'Serial' }), { isolationLevel: 'serializable' }));
    expect(statements[0]).toBe('begin isolation level serializable');
    expect(statements[1]).toContain('set_config');
    expect((await fixture.admin.select().from(companies)).map((r) => [r.name, r.workspaceId])).toEqual([['Serial', WS_B]]);
  });
});
