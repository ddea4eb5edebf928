import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase, getTestServerUrl, TestServerUrlMissingError } from '../src';
import { queryValue, withClient } from './support/with-client';
import { withEnv } from './support/with-env';

// These use the servers the root vitest.global-setup.ts started for the whole run.
describe('createTestDatabase (postgres)', () => {
  it('gives each caller its own database: tables do not cross, drop removes it', async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    try {
      expect(a.isolation).toBe('database');
      expect(a.name).not.toBe(b.name);
      expect(await queryValue(a.url, 'SELECT current_database()')).toBe(a.name);

      await withClient(a.url, async (client) => {
        await client.query('CREATE TABLE accounts (id int PRIMARY KEY)');
        await client.query('INSERT INTO accounts VALUES (1), (2)');
      });
      expect(await queryValue(b.url, `SELECT to_regclass('accounts')`)).toBeNull();
      await withClient(b.url, (client) => client.query('CREATE TABLE accounts (id int PRIMARY KEY)'));
      expect(await queryValue(b.url, 'SELECT count(*)::int FROM accounts')).toBe(0);
      expect(await queryValue(a.url, 'SELECT count(*)::int FROM accounts')).toBe(2);
    } finally {
      await b.drop();
    }
    // An open pool must not block drop() (WITH (FORCE)).
    const pool = new pg.Pool({ connectionString: a.url });
    await pool.query('SELECT 1');
    pool.on('error', () => undefined); // the forced drop terminates its idle connection
    await a.drop();
    await pool.end();
    const serverUrl = inject('acmeTestingPostgresUrl') ?? process.env.DATABASE_URL ?? '';
    const left = await queryValue<number>(serverUrl, 'SELECT count(*)::int FROM pg_database WHERE datname = ANY($1)', [[a.name, b.name]]);
    expect(left).toBe(0);
  });

  it('gives connections that are closing a moment before forcing them, so no FATAL reaches them uncaught', async () => {
    // pool.end() resolves before its sockets close and has by then removed its error
    // listeners; a client terminated at that moment throws FATAL 57P01 in the caller's process.
    // Here: a client without an error listener that closes 200 ms after drop() begins.
    const database = await createTestDatabase();
    const closing = new pg.Client({ connectionString: database.url });
    await closing.connect();
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      const dropped = database.drop();
      await new Promise((resolve) => setTimeout(resolve, 200));
      await closing.end();
      await dropped;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('uncaughtException', record);
    }
    expect(uncaught).toEqual([]);
    const serverUrl = inject('acmeTestingPostgresUrl') ?? process.env.DATABASE_URL ?? '';
    expect(await queryValue<number>(serverUrl, 'SELECT count(*)::int FROM pg_database WHERE datname = $1', [database.name])).toBe(0);
  });
});

describe('createTestDatabase (timescale)', () => {
  it('isolates with a schema on PGlite (a database elsewhere), lands in it, and keeps TimescaleDB usable', async () => {
    const serverUrl = await getTestServerUrl('timescale');
    const onPglite = String(await queryValue(serverUrl, 'SELECT version()')).includes('Emscripten');
    const a = await createTestDatabase({ server: 'timescale' });
    const b = await createTestDatabase({ server: 'timescale' });
    try {
      expect(a.isolation).toBe(onPglite ? 'schema' : 'database');
      await withClient(a.url, async (client) => {
        await client.query('CREATE TABLE events (time timestamptz NOT NULL, kind text)');
        await client.query(`SELECT create_hypertable('events', 'time')`);
        await client.query(`INSERT INTO events VALUES (now(), 'Created')`);
      });
      expect(await queryValue(b.url, `SELECT to_regclass('events')`)).toBeNull();
      await withClient(b.url, async (client) => {
        await client.query('CREATE TABLE events (time timestamptz NOT NULL, kind text)');
        await client.query(`SELECT create_hypertable('events', 'time')`);
      });
      expect(await queryValue(a.url, 'SELECT count(*)::int FROM events')).toBe(1);
      expect(await queryValue(b.url, 'SELECT count(*)::int FROM events')).toBe(0);
    } finally {
      await a.drop();
      await b.drop();
    }
    const gone = onPglite
      ? await queryValue(serverUrl, 'SELECT count(*)::int FROM pg_namespace WHERE nspname = ANY($1)', [[a.name, b.name]])
      : await queryValue(serverUrl, 'SELECT count(*)::int FROM pg_database WHERE datname = ANY($1)', [[a.name, b.name]]);
    expect(gone).toBe(0);
  });
});

describe('getTestServerUrl', () => {
  it('reads the URL the global setup provided', async () => {
    const provided = inject('acmeTestingPostgresUrl');
    expect(provided).toMatch(/^postgres:\/\//);
    expect(await getTestServerUrl('postgres')).toBe(provided);
  });

  it('outside vitest falls back to the environment variable, else throws a typed error', async () => {
    await withEnv({ VITEST: undefined, REDIS_URL: 'redis://example:6379' }, async () => {
      expect(await getTestServerUrl('redis')).toBe('redis://example:6379');
    });
    const error = await withEnv({ VITEST: undefined, DATABASE_URL: undefined }, () =>
      createTestDatabase().then(
        () => undefined,
        (thrown: unknown) => thrown,
      ),
    );
    expect(error).toBeInstanceOf(TestServerUrlMissingError);
    expect(error).toMatchObject({ code: 'TESTING_SERVER_URL_MISSING', server: 'postgres' });
    expect((error as Error).message).toContain('DATABASE_URL');
  });
});
