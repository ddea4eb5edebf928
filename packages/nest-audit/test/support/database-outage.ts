import pg from 'pg';

/**
 * A real outage of one database (the server and other databases stay up): new connections
 * are refused and existing sessions are ended, until `end()`.
 */
export async function startDatabaseOutage(databaseUrl: string): Promise<{ end(): Promise<void> }> {
  const admin = new URL(databaseUrl);
  const name = decodeURIComponent(admin.pathname.slice(1));
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
  await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
  return {
    async end() {
      await client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
      await client.end();
    },
  };
}
