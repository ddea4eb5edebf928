import pg from 'pg';

/**
 * Opens one connection, runs `fn`, closes it. Tests against PGlite must not hold a second
 * connection open: the socket server serves one at a time and queues the rest.
 */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The single value of the first row of `sql`. */
export async function queryValue<T = unknown>(url: string, sql: string, params: unknown[] = []): Promise<T> {
  return withClient(url, async (client) => {
    const { rows } = await client.query(sql, params);
    return Object.values(rows[0] ?? {})[0] as T;
  });
}
