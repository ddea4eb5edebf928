import { callApi } from './api-client';
import { at, sleep, type RunClock } from './clock';
import type { ChaosOptions } from './chaos-options';
import type { FaultRunner } from './faults';
import type { MutationRecord } from './mutation-record';
import type { Timeline } from './timeline';
import type { MutationPlanner } from './workload';

/** After a 5xx or no answer a slot waits before its next request, as a client backing off would; the load goes on, without a storm. */
const BACKOFF_MS = 500;
const PROGRESS_EVERY_MS = 5_000;

export interface LoadRun {
  options: ChaosOptions;
  planner: MutationPlanner;
  faults: FaultRunner;
  timeline: Timeline;
  clock: RunClock;
  baseUrl: string;
  log: (line: string) => void;
  /** Aborted when the run is interrupted: the load stops at once, requests in flight are abandoned. */
  stop: AbortSignal;
}

/**
 * Sends mutations at full speed, `concurrency` in flight, while the faults run one after another:
 * fault i starts once i/(faults+1) of the mutations are sent and the previous fault has been over
 * for `faultGapMs`. The load stops when the mutations are sent and the last fault has been over
 * for `faultGapMs` too, so every fault has load before, during and after it.
 */
export async function driveLoad(run: LoadRun): Promise<MutationRecord[]> {
  const { options, planner, clock, timeline } = run;
  const records: MutationRecord[] = [];
  let sent = 0;
  let stop = run.stop.aborted;
  run.stop.addEventListener('abort', () => (stop = true));
  let lastFaultEnd = clock.now();
  // Paced runs: each request gets the next free slot of a fixed schedule.
  let nextSendAt = clock.now();
  const paced = async () => {
    if (!options.ratePerSecond) return;
    const sendAt = Math.max(nextSendAt, clock.now());
    nextSendAt = sendAt + 1_000 / options.ratePerSecond;
    await sleep(sendAt - clock.now());
  };

  const slot = async () => {
    while (!stop) {
      await paced();
      if (stop) break;
      const seq = ++sent;
      const planned = planner.next(seq);
      const startedAt = clock.now();
      const response = await callApi(run.baseUrl, { ...planned.request, signal: run.stop });
      const endedAt = clock.now();
      const subjectId = planned.complete(response);
      const body = response.body as { code?: unknown } | null;
      records.push({
        seq,
        requestId: planned.requestId,
        action: planned.action,
        subject: planned.subject,
        method: planned.request.method,
        path: planned.request.path,
        workspace: planned.session.workspace,
        workspaceId: planned.session.workspaceId,
        actor: `${planned.session.email.split('@')[0]} ${planned.session.role}`,
        expect: planned.expect,
        subjectId,
        status: response.status,
        code: response.error ?? (typeof body?.code === 'string' ? body.code : null),
        echoedRequestId: response.requestId,
        startedAt,
        endedAt,
      });
      if (response.status === 0 || response.status >= 500) await sleep(BACKOFF_MS);
    }
  };

  const progress = setInterval(() => {
    const by = (test: (s: number) => boolean) => records.filter((r) => test(r.status)).length;
    run.log(
      `${at(clock.now())} sent ${records.length}: 2xx ${by((s) => s < 300 && s >= 200)}, 4xx ${by((s) => s >= 400 && s < 500)}, 5xx ${by((s) => s >= 500)}, no response ${by((s) => s === 0)}`,
    );
  }, PROGRESS_EVERY_MS);

  const slots = Array.from({ length: options.concurrency }, slot);
  try {
    for (const [index, step] of options.faults.entries()) {
      const share = Math.ceil((options.mutations * (index + 1)) / (options.faults.length + 1));
      while (!stop && (sent < share || clock.now() - lastFaultEnd < options.faultGapMs)) await sleep(50);
      if (stop) break;
      await run.faults.run(step);
      lastFaultEnd = clock.now();
    }
    while (!stop && (sent < options.mutations || clock.now() - lastFaultEnd < options.faultGapMs)) await sleep(50);
  } finally {
    stop = true;
    await Promise.all(slots);
    clearInterval(progress);
  }
  timeline.note(`load stopped: ${records.length} mutations sent`);
  return records.sort((a, b) => a.seq - b.seq);
}
