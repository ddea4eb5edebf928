import pg from 'pg';

export interface StoredEntry {
  action: string;
  subject: string;
  subject_id: string | null;
  status: 'Success' | 'Failure';
  error_code: string | null;
  workspace_id: string | null;
  actor_id: string | null;
  changes: Record<string, unknown>;
}

/**
 * Reads the audit table directly (as the owner): the entries of one request. Entries travel
 * through the queue, so it waits until `expected` of them arrived, then a little longer to catch
 * any extra one.
 */
export async function entriesOf(ownerUrl: string, requestId: string, expected = 1): Promise<StoredEntry[]> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const read = async () =>
      (
        await client.query<StoredEntry>(
          'SELECT action, subject, subject_id, status, error_code, workspace_id, actor_id, changes FROM audit_log WHERE request_id = $1 ORDER BY occurred_at',
          [requestId],
        )
      ).rows;
    const deadline = Date.now() + 10_000;
    let rows = await read();
    while (rows.length < expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      rows = await read();
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
    return await read();
  } finally {
    await client.end();
  }
}
