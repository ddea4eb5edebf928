import pg from 'pg';

/** A row the run created (its name carries the run id and the mutation's number), and its workspace. */
export interface TaggedRow {
  table: 'companies' | 'contacts' | 'deals';
  id: string;
  workspaceId: string;
  /** The mutation that created it, from the tag in its name. */
  seq: number;
}

export interface BusinessRows {
  tagged: TaggedRow[];
  /** Rows carrying the foreign marker: a write through another workspace's token that landed. */
  foreignWrites: { table: string; id: string; workspaceId: string }[];
}

/**
 * Reads the run's business rows as the owner (no RLS): every company, contact and deal the run
 * created, found by the run id in its name, and any row a foreign-workspace attempt changed.
 */
export async function readBusinessRows(ownerUrl: string, runId: string, foreignMarker: string): Promise<BusinessRows> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const tagged = await client.query<{ table: TaggedRow['table']; id: string; workspace_id: string; tag: string }>(
      `SELECT 'companies' AS table, id::text, workspace_id::text, name AS tag FROM companies WHERE name LIKE $1
       UNION ALL SELECT 'contacts', id::text, workspace_id::text, last_name FROM contacts WHERE last_name LIKE $2
       UNION ALL SELECT 'deals', id::text, workspace_id::text, title FROM deals WHERE title LIKE $1`,
      [`Chaos ${runId} %`, `${runId}-%`],
    );
    const foreign = await client.query<{ table: string; id: string; workspace_id: string }>(
      `SELECT 'companies' AS table, id::text, workspace_id::text FROM companies WHERE name LIKE $1
       UNION ALL SELECT 'contacts', id::text, workspace_id::text FROM contacts WHERE job_title LIKE $1
       UNION ALL SELECT 'deals', id::text, workspace_id::text FROM deals WHERE title LIKE $1`,
      [`${foreignMarker}%`],
    );
    return {
      tagged: tagged.rows.flatMap((row) => {
        const seq = Number(/(\d+)$/.exec(row.tag)?.[1]);
        return Number.isInteger(seq) ? [{ table: row.table, id: row.id, workspaceId: row.workspace_id, seq }] : [];
      }),
      foreignWrites: foreign.rows.map((row) => ({ table: row.table, id: row.id, workspaceId: row.workspace_id })),
    };
  } finally {
    await client.end();
  }
}
