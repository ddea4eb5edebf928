import type { BusinessRows } from './business-rows';
import { describeMutation, succeeded, type MutationRecord } from './mutation-record';
import type { Timeline } from './timeline';
import type { TrailEntry } from './trail-readers';

/** After PostgreSQL is back, pooled connections reconnect: 503s this soon after a restart still count as the outage's. */
export const POSTGRES_GRACE_MS = 3_000;

export interface Findings {
  mutations: number;
  /** 2xx mutations without their 'Success' entry (in the table or through the API). */
  lost: MutationRecord[];
  /** 'Success' entries beyond one per 2xx mutation: a second entry, or one for a mutation that did not succeed or does not match. */
  duplicated: string[];
  cross: string[];
  serverErrors: MutationRecord[];
  unavailable: MutationRecord[];
  /** Refusals the API let through (a Viewer's create, a Pipeline rep's delete...). */
  allowedRefusals: MutationRecord[];
  /** Mutations whose answer echoed another request id than the one sent. */
  wrongRequestIds: MutationRecord[];
}

/**
 * Compares what the run did with what the audit trail and the tables say: every 2xx mutation has
 * exactly one 'Success' entry (same request id, action, subject and subject id), in the table and
 * through GET /audit; no 'Success' entry without its 2xx mutation; no entry, listed entry or row
 * in another workspace than the request's; no 5xx but 503 while PostgreSQL was down.
 */
export function reconcile(records: MutationRecord[], database: TrailEntry[], api: TrailEntry[], rows: BusinessRows, timeline: Timeline): Findings {
  const bySeq = new Map(records.map((m) => [m.seq, m]));
  const byRequest = new Map(records.map((m) => [m.requestId, m]));
  const createdRows = new Set(rows.tagged.map((row) => row.seq));
  const fromDatabase = compareTrail(records, database, 'table', createdRows);
  const fromApi = compareTrail(records, api, 'API', createdRows);
  const lost = new Map([...fromDatabase.lost, ...fromApi.lost].map((m) => [m.seq, m]));
  const cross = new Set<string>();

  for (const m of records) {
    if (m.expect === 'Foreign' && succeeded(m)) cross.add(`${describeMutation(m)}: another workspace's record answered 2xx`);
  }
  for (const [source, entries] of [
    ['table', database],
    ['API', api],
  ] as const) {
    for (const entry of entries) {
      const m = byRequest.get(entry.requestId);
      if (m && entry.workspaceId !== m.workspaceId) cross.add(`${source}: entry ${entry.id} of ${describeMutation(m)} is in workspace ${entry.workspaceId}`);
    }
  }
  for (const row of rows.tagged) {
    const m = bySeq.get(row.seq);
    if (m && row.workspaceId !== m.workspaceId) cross.add(`${row.table} ${row.id} created by ${describeMutation(m)} is in workspace ${row.workspaceId}`);
  }
  for (const row of rows.foreignWrites) cross.add(`${row.table} ${row.id} (workspace ${row.workspaceId}) was changed through another workspace's token`);

  const serverErrors: MutationRecord[] = [];
  const unavailable: MutationRecord[] = [];
  for (const m of records) {
    if (m.status === 503 && timeline.overlaps('postgres-restart', m.startedAt, m.endedAt, POSTGRES_GRACE_MS)) unavailable.push(m);
    else if (m.status === 0 || m.status >= 500) serverErrors.push(m);
  }

  return {
    mutations: records.length,
    lost: [...lost.values()].sort((a, b) => a.seq - b.seq),
    duplicated: fromDatabase.duplicated.length >= fromApi.duplicated.length ? fromDatabase.duplicated : fromApi.duplicated,
    cross: [...cross],
    serverErrors,
    unavailable,
    allowedRefusals: records.filter((m) => m.expect === 'Denied' && succeeded(m)),
    wrongRequestIds: records.filter((m) => m.status !== 0 && m.echoedRequestId !== m.requestId),
  };
}

/** Lost and surplus 'Success' entries of one view of the trail. */
function compareTrail(
  records: MutationRecord[],
  entries: TrailEntry[],
  source: string,
  createdRows: Set<number>,
): { lost: MutationRecord[]; duplicated: string[] } {
  const successes = new Map<string, TrailEntry[]>();
  for (const entry of entries) {
    if (entry.status !== 'Success') continue;
    const list = successes.get(entry.requestId) ?? [];
    list.push(entry);
    successes.set(entry.requestId, list);
  }
  const lost: MutationRecord[] = [];
  const duplicated: string[] = [];
  const seen = new Set<string>();
  for (const m of records) {
    const found = successes.get(m.requestId) ?? [];
    seen.add(m.requestId);
    // No answer: whether it happened is unknown, so neither an entry nor its absence is wrong.
    if (m.status === 0) continue;
    const matching = succeeded(m) ? found.filter((e) => e.action === m.action && e.subject === m.subject && e.subjectId === m.subjectId) : [];
    if (succeeded(m) && matching.length === 0) lost.push(m);
    for (const extra of matching.slice(1)) duplicated.push(`${source}: second entry ${extra.id} for ${describeMutation(m)}`);
    for (const extra of found.filter((e) => !matching.includes(e))) {
      // For a failed create, whether its row exists tells a rolled-back change (the entry claims
      // what never happened) from a committed one (the client was told it failed).
      const row =
        !succeeded(m) && m.action === 'Create'
          ? `; its row ${createdRows.has(m.seq) ? 'exists: committed despite the answer' : 'does not exist: rolled back'}`
          : '';
      duplicated.push(`${source}: 'Success' entry ${extra.id} (${extra.action} ${extra.subject} ${extra.subjectId}) for ${describeMutation(m)}${row}`);
    }
  }
  for (const [requestId, list] of successes) {
    if (!seen.has(requestId))
      for (const extra of list) duplicated.push(`${source}: 'Success' entry ${extra.id} for request ${requestId}, which the run never sent`);
  }
  return { lost, duplicated };
}
