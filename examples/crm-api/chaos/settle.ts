import { readdirSync } from 'node:fs';
import pg from 'pg';
import type { AuditQueueProbe, AuditQueueState } from './audit-queue-probe';
import { sleep } from './clock';
import type { ChaosOptions } from './chaos-options';

export interface SettleResult {
  settled: boolean;
  reason: string;
  waitedMs: number;
  queue: AuditQueueState | null;
  /** Batches still spooled by the app processes (not confirmed in the table) when the wait ended. */
  spooled: number;
}

/** Once the count of 'Success' entries reaches the 2xx mutations, this much quiet is enough. */
const COMPLETE_QUIET_MS = 3_000;

/** Spool files (`*.jsonl`, also while being recovered or replayed) under the app processes' temp dir. */
function countSpooled(spoolRoot: string): number {
  try {
    return readdirSync(spoolRoot, { recursive: true, encoding: 'utf8' }).filter((name) => name.includes('.jsonl')).length;
  } catch {
    return 0;
  }
}

/**
 * Waits, bounded by `settleMaxMs`, until the audit trail stops changing: no batch spooled by the
 * app (each stays spooled until the table has it; a crashed process's batches are adopted by
 * another after 30 s), none in the audit queue (a dead worker's stay active until their lock
 * expires, then re-run), and the run's entries unchanged for `settleStableMs` (3 s once every 2xx
 * mutation has as many 'Success' entries as it should).
 */
export async function waitForSettledTrail(
  options: ChaosOptions,
  trail: { ownerUrl: string; spoolRoot: string; auditQueue: AuditQueueProbe },
  requestIdPrefix: string,
  expectedSuccess: number,
): Promise<SettleResult> {
  const { ownerUrl, spoolRoot, auditQueue } = trail;
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  const started = Date.now();
  try {
    let last = '';
    let lastChange = Date.now();
    let queue: AuditQueueState | null = null;
    let spooled = 0;
    while (Date.now() - started < options.settleMaxMs) {
      const { rows } = await client.query<{ entries: string; successes: string }>(
        `SELECT count(*) AS entries, count(*) FILTER (WHERE status = 'Success') AS successes FROM audit_log WHERE request_id LIKE $1`,
        [`${requestIdPrefix}%`],
      );
      queue = await auditQueue.state();
      spooled = countSpooled(spoolRoot);
      const entries = Number(rows[0]!.entries);
      const successes = Number(rows[0]!.successes);
      const state = `${entries}/${queue?.pending ?? '?'}/${spooled}`;
      if (state !== last) {
        last = state;
        lastChange = Date.now();
      }
      const quiet = Date.now() - lastChange;
      const drained = queue !== null && queue.pending === 0 && spooled === 0;
      if (drained && successes >= expectedSuccess && quiet >= COMPLETE_QUIET_MS) {
        return { settled: true, reason: `every 2xx mutation has an entry, queue and spool empty`, waitedMs: Date.now() - started, queue, spooled };
      }
      if (drained && quiet >= options.settleStableMs) {
        return {
          settled: true,
          reason: `queue and spool empty, no change for ${options.settleStableMs / 1000} s`,
          waitedMs: Date.now() - started,
          queue,
          spooled,
        };
      }
      await sleep(1_000);
    }
    const left = `queue: ${queue ? `${queue.pending} pending, ${queue.failed} failed` : 'unreachable'}, spool: ${spooled} batch file(s)`;
    return { settled: false, reason: `still not settled after ${options.settleMaxMs / 1000} s (${left})`, waitedMs: Date.now() - started, queue, spooled };
  } finally {
    await client.end();
  }
}
