import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimescale, type StartedService } from '../src';
import { portOpen } from './support/port-open';
import { queryValue, withClient } from './support/with-client';

describe('startTimescale', () => {
  let timescale: StartedService;

  beforeAll(async () => {
    timescale = await startTimescale({ strategies: ['embedded'] });
  });

  afterAll(async () => {
    await timescale?.stop();
  });

  it('embedded: serves PGlite with the timescaledb extension created', async () => {
    expect(timescale.source).toBe('embedded');
    const version = await queryValue<string>(timescale.url, "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'");
    expect(version).toMatch(/^2\./);
  });

  it('embedded: hypertables, time_bucket and a retention policy run through CALL run_job', async () => {
    // A pool of max 1: PGlite serves one connection at a time.
    const pool = new pg.Pool({ connectionString: timescale.url, max: 1 });
    try {
      await pool.query('CREATE TABLE metrics (time timestamptz NOT NULL, device text NOT NULL, value double precision)');
      await pool.query(`SELECT create_hypertable('metrics', 'time', chunk_time_interval => INTERVAL '1 day')`);
      await pool.query(`
        INSERT INTO metrics
        SELECT t, 'device-' || (i % 3), i
        FROM generate_series(now() - INTERVAL '10 days', now(), INTERVAL '1 hour') WITH ORDINALITY AS g(t, i)`);
      const hypertables = await pool.query(`SELECT hypertable_name FROM timescaledb_information.hypertables`);
      expect(hypertables.rows).toContainEqual({ hypertable_name: 'metrics' });
      const days = await pool.query(`SELECT time_bucket('1 day', time) AS day, count(*) FROM metrics GROUP BY day`);
      expect(days.rowCount).toBeGreaterThanOrEqual(10);

      await pool.query(`ALTER TABLE metrics SET (timescaledb.compress, timescaledb.compress_segmentby = 'device')`);
      const { rows } = await pool.query<{ job_id: number }>(`SELECT add_retention_policy('metrics', INTERVAL '5 days') AS job_id`);
      // No background workers in PGlite: the policy runs only when called.
      await pool.query('CALL run_job($1)', [rows[0]?.job_id]);
      const old = await pool.query(`SELECT count(*)::int AS n FROM metrics WHERE time < now() - INTERVAL '6 days'`);
      expect(old.rows[0]).toEqual({ n: 0 });
    } finally {
      await pool.end();
    }
  });

  it("embedded: each connection starts from a clean session, not the previous client's", async () => {
    await withClient(timescale.url, async (client) => {
      await client.query('SET statement_timeout = 12345');
      await client.query({ name: 'leaky', text: 'SELECT 1' });
      await client.query('BEGIN');
      await client.query('CREATE TABLE left_in_transaction (id int)');
      // closed mid-transaction, as a crashed test would
    });
    await withClient(timescale.url, async (client) => {
      expect((await client.query('SHOW statement_timeout')).rows[0]).toEqual({ statement_timeout: '0' });
      // the named statement is gone, so preparing it again works
      expect((await client.query({ name: 'leaky', text: 'SELECT 2 AS n' })).rows).toEqual([{ n: 2 }]);
      expect((await client.query(`SELECT to_regclass('left_in_transaction') AS t`)).rows).toEqual([{ t: null }]);
    });
  });

  it('embedded: serves one connection at a time, the next one waits until it is released', async () => {
    const first = new pg.Client({ connectionString: timescale.url });
    await first.connect();
    const second = new pg.Client({ connectionString: timescale.url });
    let secondReady = false;
    const connecting = second.connect().then(() => {
      secondReady = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(secondReady).toBe(false); // queued behind the first
    await first.end();
    await connecting;
    expect((await second.query('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
    await second.end();
  });

  it('embedded: the database name in the URL selects the schema (search_path)', async () => {
    const url = new URL(timescale.url);
    await queryValue(timescale.url, 'CREATE SCHEMA tenant_a');
    url.pathname = '/tenant_a';
    await withClient(url.toString(), async (client) => {
      expect((await client.query('SHOW search_path')).rows[0]).toEqual({ search_path: 'tenant_a, public' });
      await client.query('CREATE TABLE here (id int)');
    });
    expect(await queryValue(timescale.url, `SELECT to_regclass('tenant_a.here')::text`)).toBe('tenant_a.here');
  });

  it('embedded: a database name with quotes and SQL in it is only ever a schema name', async () => {
    const hostile = 'x", public; CREATE TABLE injected (id int); --';
    await queryValue(timescale.url, `CREATE SCHEMA ${pg.escapeIdentifier(hostile)}`);
    const { hostname, port, username } = new URL(timescale.url);
    // Given as is in the startup packet (a URL would percent-decode only part of it).
    const client = new pg.Client({ host: hostname, port: Number(port), user: username, database: hostile });
    await client.connect();
    try {
      expect((await client.query('SHOW search_path')).rows[0]).toEqual({ search_path: `${pg.escapeIdentifier(hostile)}, public` });
      expect((await client.query('SELECT current_schemas(false)::text[] AS schemas')).rows[0]).toEqual({ schemas: [hostile, 'public'] });
    } finally {
      await client.end();
    }
    expect(await queryValue(timescale.url, `SELECT to_regclass('public.injected')::text`)).toBeNull();
  });

  it('url: options.url is used as is and stop() leaves the server running', async () => {
    const viaUrl = await startTimescale({ url: timescale.url, strategies: ['url', 'embedded'] });
    expect(viaUrl).toMatchObject({ source: 'url', url: timescale.url });
    await viaUrl.stop();
    expect(await queryValue(timescale.url, 'SELECT 1')).toBe(1);
  });

  it('embedded: stop() closes the port', async () => {
    const server = await startTimescale({ strategies: ['embedded'] });
    await server.stop();
    expect(await portOpen(server.url)).toBe(false);
  });
});
