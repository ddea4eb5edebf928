import pg from 'pg';

/**
 * Runs `CREATE EXTENSION IF NOT EXISTS timescaledb` in the database of `url`: the server preloads
 * the library, but each database needs the extension created in it.
 */
export async function createTimescaleExtension(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
  } finally {
    await client.end();
  }
}
