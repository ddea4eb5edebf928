import pg from 'pg';

/**
 * `--break drop-audit-rows`: deletes `count` 'Success' entries of the run before reconciling, so
 * the run must report them lost and exit non-zero. Proves the reconciliation can fail.
 */
export async function dropAuditRows(ownerUrl: string, requestIdPrefix: string, count: number): Promise<number> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    // As the superuser, with triggers off: an append-only guard on the table must not stop the sabotage.
    await client.query(`SET session_replication_role = replica`);
    const { rowCount } = await client.query(
      `DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE request_id LIKE $1 AND status = 'Success' ORDER BY id LIMIT $2)`,
      [`${requestIdPrefix}%`, count],
    );
    return rowCount ?? 0;
  } finally {
    await client.end();
  }
}
