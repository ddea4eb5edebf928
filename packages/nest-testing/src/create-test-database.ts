import pg from 'pg';
import { withDatabase } from './connection-url';
import { uniqueName } from './unique-name';
import { getTestServerUrl } from './test-server-url';
import { createTimescaleExtension } from './timescale-extension';

/** Options of {@link createTestDatabase}. */
export interface CreateTestDatabaseOptions {
  /**
   * The server to create the database on.
   * @default 'postgres'
   */
  server?: 'postgres' | 'timescale';
  /**
   * URL of the server (any database on it). Defaults to the URL `setupTestServers` provided,
   * else `DATABASE_URL` (`TIMESCALE_URL` for `server: 'timescale'`).
   */
  url?: string;
  /**
   * Start of the generated name (`<prefix>_<time>_<random>`).
   * @default 'test'
   */
  prefix?: string;
}

/** A database (or schema) of its own for one test file. */
export interface TestDatabase {
  /** Connection URL that lands in the new database (or, on PGlite, in the new schema). */
  readonly url: string;
  /** The database name; also the schema name when `isolation` is `'schema'`. */
  readonly name: string;
  /**
   * `'database'`: a real `CREATE DATABASE`. `'schema'`: the server ignores database names
   * (PGlite is a single database), so a schema was created instead; `url` still lands in it
   * when the server is the one `startTimescale` started (its proxy maps the URL's database
   * name to `search_path = "<name>", public`).
   */
  readonly isolation: 'database' | 'schema';
  /**
   * Drops the database or the schema (`CASCADE`). Connections that are closing get a moment
   * to go; any still open after it are terminated (`WITH (FORCE)`), so they never block it.
   * Close your own pool first on PGlite: it serves one connection at a time.
   */
  drop(): Promise<void>;
}

/**
 * Creates a fresh, uniquely named database so that each test file gets its own tables and
 * rows and files can run in parallel against one server. On a TimescaleDB server the
 * extension is created in the new database.
 *
 * @throws TestServerUrlMissingError when no server URL is known.
 */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const server = options.server ?? 'postgres';
  const serverUrl = options.url ?? (await getTestServerUrl(server));
  const name = uniqueName(options.prefix ?? 'test');
  const url = withDatabase(serverUrl, name);
  // One connection at a time throughout: PGlite queues a second one behind the first.
  if (await ignoresDatabaseName(serverUrl)) {
    await run(serverUrl, `CREATE SCHEMA ${pg.escapeIdentifier(name)}`);
    return { url, name, isolation: 'schema', drop: () => run(serverUrl, `DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(name)} CASCADE`) };
  }
  await run(serverUrl, `CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  if (server === 'timescale') await createTimescaleExtension(url);
  return {
    url,
    name,
    isolation: 'database',
    drop: () => dropDatabase(serverUrl, name),
  };
}

/** How long `drop()` lets connections that are already closing go before it forces them. */
const CLOSING_GRACE_MS = 1_000;

/**
 * `pool.end()` resolves before its sockets are closed, and a backend terminated by
 * `WITH (FORCE)` meanwhile sends FATAL 57P01 to a client whose pool has already removed its
 * error listener: an uncaught exception in the caller's process. So wait (briefly) for the
 * database's backends to go on their own, and only then force what is left.
 */
async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const deadline = Date.now() + CLOSING_GRACE_MS;
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ open: number }>(
        'SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
      if (rows[0]?.open === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * Whether the server accepts a connection to a database that does not exist: a real server
 * refuses it (3D000), PGlite (one database) accepts any name.
 */
async function ignoresDatabaseName(serverUrl: string): Promise<boolean> {
  const probe = new pg.Client({ connectionString: withDatabase(serverUrl, uniqueName('acme_probe')) });
  try {
    await probe.connect();
    await probe.end();
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === '3D000') return false;
    throw error;
  }
}

async function run(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
