import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';

/**
 * The default spool directory: one per audit table (server, database, schema, table), so
 * processes of different apps on one machine never recover each other's batches into the
 * wrong table.
 */
export function defaultSpoolDir(pool: pg.Pool, table: string, schema: string | undefined): string {
  const key = createHash('sha256')
    .update(JSON.stringify([databaseTarget(pool), schema ?? '', table]))
    .digest('hex')
    .slice(0, 16);
  return join(tmpdir(), 'acme-audit-spool', key);
}

/** Host, port, database and user of the pool, without the password. */
function databaseTarget(pool: pg.Pool): string[] {
  const options = (pool as unknown as { options: pg.PoolConfig }).options;
  let { host, port, database, user } = options;
  if (options.connectionString) {
    try {
      const url = new URL(options.connectionString);
      host ??= url.hostname;
      port ??= Number(url.port || 5432);
      database ??= decodeURIComponent(url.pathname.slice(1));
      user ??= decodeURIComponent(url.username);
    } catch {
      database ??= options.connectionString; // not a URL (key=value form): hashed, never stored
    }
  }
  return [
    host ?? process.env.PGHOST ?? 'localhost',
    String(port ?? process.env.PGPORT ?? 5432),
    database ?? process.env.PGDATABASE ?? '',
    user ?? process.env.PGUSER ?? '',
  ];
}
