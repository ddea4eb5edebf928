import { createHash } from 'node:crypto';
import pg from 'pg';

/**
 * The family (the session) a refresh token belongs to, read as the owner: the API never shows
 * it, but 'Session' audit entries name it as their subject.
 */
export async function refreshFamilyOf(ownerUrl: string, refreshToken: string): Promise<string> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const hash = createHash('sha256').update(refreshToken).digest('hex');
    const { rows } = await client.query<{ family_id: string }>('SELECT family_id FROM refresh_tokens WHERE token_hash = $1', [hash]);
    if (rows.length !== 1) throw new Error(`refresh token not stored (${rows.length} rows)`);
    return rows[0]!.family_id;
  } finally {
    await client.end();
  }
}
