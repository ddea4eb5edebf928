import pg from 'pg';
import type { AuditQueueProbe, AuditQueueState } from './audit-queue-probe';
import { sleep } from './clock';
import type { ChaosOptions } from './chaos-options';

export interface SettleResult {
  settled: boolean;
  reason: string;
  waitedMs: number;
  queue: AuditQueueState | null;
}

/** Once the count of 'Success' entries reaches the 2xx mutations, this much quiet is enough. */
const COMPLETE_QUIET_MS = 3_000;

/**
 * Waits, bounded by `settleMaxMs`, until the audit trail stops changing: the audit queue holds no
 * batch (a dead worker's batches stay active until their lock expires and are then re-run), and
 * the run's entries in the table have not changed for `settleStableMs` (3 s once every 2xx
 * mutation has as many 'Success' entries as it should).
 */
export async function waitForSettledTrail(options: ChaosOptions, ownerUrl: string, requestIdPrefix: string, expectedSuccess: number, auditQueue: AuditQueueProbe): Promise<SettleResult> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  const started = Date.now();
  try {
    let last = '';
    let lastChange = Date.now();
    let queue: AuditQueueState | null = null;
    while (Date.now() - started < options.settleMaxMs) {
      const { rows } = await client.query<{ entries: string; successes: string }>(
        `SELECT count(*) AS entries, count(*) FILTER (WHERE status = 'Success') AS successes FROM audit_log WHERE request_id LIKE $1`,
        [`${requestIdPrefix}%`],
      );
      queue = await auditQueue.state();
      const entries = Number(rows[0]!.entries);
      const successes = Number(rows[0]!.successes);
      const state = `${entries}/${queue?.pending ?? '?'}`;
      if (state !== last) {
        last = state;
        lastChange = Date.now();
      }
      const quiet = Date.now() - lastChange;
      const drained = queue !== null && queue.pending === 0;
      if (drained && successes >= expectedSuccess && quiet >= COMPLETE_QUIET_MS) {
        return { settled: true, reason: `every 2xx mutation has an entry, queue empty`, waitedMs: Date.now() - started, queue };
      }
      if (drained && quiet >= options.settleStableMs) {
        return { settled: true, reason: `queue empty, no change for ${options.settleStableMs / 1000} s`, waitedMs: Date.now() - started, queue };
      }
      await sleep(1_000);
    }
    return { settled: false, reason: `still changing after ${options.settleMaxMs / 1000} s (queue: ${JSON.stringify(queue)})`, waitedMs: Date.now() - started, queue };
  } finally {
    await client.end();
  }
}
