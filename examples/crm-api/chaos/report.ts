import { at } from './clock';
import { describeMutation, type MutationRecord } from './mutation-record';
import type { Findings } from './reconcile';
import type { SettleResult } from './settle';
import type { Timeline } from './timeline';
import type { TrailEntry } from './trail-readers';

const SHOWN = 20;

/** The line a caller parses; always the last line of a run that got as far as reconciling. */
export function summaryLine(f: Findings): string {
  return `CHAOS mutations=${f.mutations} lost=${f.lost.length} duplicated=${f.duplicated.length} cross_workspace=${f.cross.length} server_errors=${f.serverErrors.length} unavailable=${f.unavailable.length}`;
}

/** Whether the run proves the guarantees: nothing lost, doubled, leaked, or answered with a 5xx that is not a documented 503. */
export function passed(f: Findings): boolean {
  return f.lost.length + f.duplicated.length + f.cross.length + f.serverErrors.length + f.allowedRefusals.length === 0;
}

/** Everything needed to debug a failed run, above the summary line. */
export function printReport(
  log: (line: string) => void,
  input: { records: MutationRecord[]; database: TrailEntry[]; api: TrailEntry[]; settle: SettleResult; findings: Findings; timeline: Timeline },
): void {
  const { records, database, api, settle, findings: f, timeline } = input;
  log(`faults:${timeline.windows.length ? '' : ' none'}`);
  for (const w of timeline.windows) log(`  ${at(w.startedAt)} .. ${w.endedAt === null ? 'not over' : at(w.endedAt)}  ${w.label}`);
  for (const note of timeline.notes.filter((n) => n.text.startsWith('UNEXPECTED'))) log(`  ${at(note.at)} ${note.text}`);
  log(`answers: ${histogram(records.map((m) => String(m.status || 'no response')))}`);
  log(`expected refusals: ${histogram(records.filter((m) => m.expect !== 'Success').map((m) => `${m.expect} -> ${m.status || 'none'}`))}`);
  const count = (entries: TrailEntry[], status: string) => entries.filter((e) => e.status === status).length;
  log(
    `audit entries of the run: table ${database.length} (Success ${count(database, 'Success')}, Failure ${count(database, 'Failure')}), API ${api.length} (Success ${count(api, 'Success')})`,
  );
  log(
    `trail ${settle.settled ? 'settled' : 'DID NOT SETTLE'} after ${(settle.waitedMs / 1000).toFixed(1)} s: ${settle.reason}${settle.queue?.failed ? `; ${settle.queue.failed} audit batch(es) FAILED for good in the queue` : ''}`,
  );

  section(
    log,
    'lost (2xx without its Success entry)',
    f.lost,
    (m) => `${describeMutation(m)} at ${at(m.startedAt)}, ${timeline.place(m.startedAt, m.endedAt)}`,
  );
  if (f.lost.length) log(`  lost by phase: ${histogram(f.lost.map((m) => timeline.phase(m.startedAt, m.endedAt)))}`);
  section(log, 'duplicated (Success entries beyond one per 2xx mutation)', f.duplicated, (line) => line);
  section(log, 'cross-workspace', f.cross, (line) => line);
  section(
    log,
    'server errors (5xx other than a 503 while PostgreSQL was down, or no response)',
    f.serverErrors,
    (m) => `${describeMutation(m)} at ${at(m.startedAt)}, ${timeline.place(m.startedAt, m.endedAt)}`,
  );
  if (f.serverErrors.length)
    log(`  server errors by phase: ${histogram(f.serverErrors.map((m) => `${m.status || 'none'} ${m.code ?? ''} ${timeline.phase(m.startedAt, m.endedAt)}`))}`);
  section(log, 'refusals the API let through', f.allowedRefusals, describeMutation);
  section(
    log,
    'answers echoing another request id (entries cannot be matched to them)',
    f.wrongRequestIds,
    (m) => `${describeMutation(m)} echoed ${m.echoedRequestId}`,
  );
  log(`unavailable (503 while PostgreSQL was down): ${f.unavailable.length}`);
}

function section<T>(log: (line: string) => void, title: string, items: T[], line: (item: T) => string): void {
  if (!items.length) return;
  log(`${title}: ${items.length}${items.length > SHOWN ? ` (first ${SHOWN})` : ''}`);
  for (const item of items.slice(0, SHOWN)) log(`  ${line(item)}`);
}

function histogram(values: string[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return (
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([value, n]) => `${value} x${n}`)
      .join(', ') || 'none'
  );
}
