import pg from 'pg';
import { callApi, type Session } from './api-client';
import { ChaosError } from './chaos.errors';

/** An audit entry of the run, from the table or from GET /audit. */
export interface TrailEntry {
  id: string;
  requestId: string;
  workspaceId: string | null;
  action: string;
  subject: string;
  subjectId: string | null;
  status: string;
}

/** The run's entries straight from audit_log (as the owner: every workspace, no RLS). */
export async function readTrailFromDatabase(ownerUrl: string, requestIdPrefix: string): Promise<TrailEntry[]> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query<TrailEntry>(
      `SELECT id::text, request_id AS "requestId", workspace_id::text AS "workspaceId", action, subject, subject_id AS "subjectId", status
         FROM audit_log WHERE request_id LIKE $1`,
      [`${requestIdPrefix}%`],
    );
    return rows;
  } finally {
    await client.end();
  }
}

interface AuditPageBody {
  items: { id: string; request_id: string | null; action: string; subject: string; subject_id: string | null; status: string }[];
  next_cursor: string | null;
}

/**
 * The run's entries as a workspace's Admin sees them through GET /audit, every page. Each entry
 * gets the workspace it was listed under: an entry of the other workspace there is a leak.
 */
export async function readTrailFromApi(baseUrl: string, admin: Session, since: Date, requestIdPrefix: string): Promise<TrailEntry[]> {
  const entries: TrailEntry[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: '100', from: since.toISOString(), ...(cursor ? { cursor } : {}) });
    const response = await callApi(baseUrl, { method: 'GET', path: `/audit?${query}`, token: admin.token });
    if (response.status !== 200)
      throw new ChaosError(
        'CHAOS_AUDIT_API',
        `GET /audit as ${admin.label} answered ${response.status} ${JSON.stringify(response.body)}: the trail cannot be read through the API.`,
      );
    const page = response.body as AuditPageBody;
    for (const item of page.items) {
      if (!item.request_id?.startsWith(requestIdPrefix)) continue;
      entries.push({
        id: item.id,
        requestId: item.request_id,
        workspaceId: admin.workspaceId,
        action: item.action,
        subject: item.subject,
        subjectId: item.subject_id,
        status: item.status,
      });
    }
    cursor = page.next_cursor;
  } while (cursor);
  return entries;
}
