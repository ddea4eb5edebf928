import { sleep } from './clock';
import type { ChaosOptions, FaultStep } from './chaos-options';
import { waitForWriter, type Stack } from './stack';
import type { FaultKind, Timeline } from './timeline';

/**
 * Runs the faults one at a time while the load goes on: the worker SIGKILLed (whatever it held in
 * memory is gone, its active batches stay locked until their lock expires), Redis stopped and
 * started again on the same port and directory, PostgreSQL stopped (fast shutdown: open
 * transactions are rolled back) and started again. Each fault ends when everything is back.
 */
export class FaultRunner {
  private readonly counts = new Map<FaultKind, number>();

  constructor(
    private readonly stack: Stack,
    private readonly timeline: Timeline,
    private readonly options: ChaosOptions,
    private readonly stop: AbortSignal,
  ) {}

  /** Runs one fault; once the run is interrupted, nothing more is stopped or started. */
  async run(step: FaultStep): Promise<void> {
    const n = (this.counts.get(step.kind) ?? 0) + 1;
    this.counts.set(step.kind, n);
    const label = `${step.kind}#${n}${step.workerDown ? ' (worker down)' : ''}`;
    const window = this.timeline.open(step.kind, label);
    const { downtimeMs } = this.options;
    const { worker, redis, postgres } = this.stack;
    if (step.kind === 'worker-kill' || step.workerDown) {
      await worker.kill();
      this.timeline.note(`${label}: worker killed (SIGKILL)`);
      await sleep(downtimeMs);
    }
    if (this.stop.aborted) return;
    if (step.kind === 'redis-restart') {
      await redis.stop();
      this.timeline.note(`${label}: Redis stopped (SIGTERM${redis.volatile ? '; volatile: its jobs are gone' : ': AOF written'})`);
      await sleep(downtimeMs);
      if (this.stop.aborted) return;
      await redis.start();
      this.timeline.note(`${label}: Redis started again on port ${redis.port} (pids ${redis.pid})`);
    }
    if (step.kind === 'postgres-restart') {
      await postgres.stop();
      this.timeline.note(`${label}: PostgreSQL stopped (fast shutdown)`);
      await sleep(downtimeMs);
      if (this.stop.aborted) return;
      await postgres.start();
      this.timeline.note(`${label}: PostgreSQL started again on port ${postgres.port} (pids ${postgres.pid})`);
    }
    if (this.stop.aborted) return;
    if (!worker.running) {
      worker.start();
      await waitForWriter(worker, this.stack.auditQueue).then(
        () => this.timeline.note(`${label}: worker back, audit writer connected (pids ${worker.pid})`),
        (error: Error) => this.timeline.note(`${label}: worker not back: ${error.message}`),
      );
    }
    this.timeline.close(window);
  }
}

/**
 * An API or worker that exits without being asked to is a finding: it is noted in the timeline
 * and started again after a second, so the run can go on and the trail can settle.
 */
export function superviseApps(stack: Stack, timeline: Timeline, stop: AbortSignal): void {
  const stopping = () => stop.aborted;
  for (const app of [stack.api, stack.worker]) {
    app.onUnexpectedExit = (name, code, signal) => {
      if (stopping()) return;
      timeline.note(`UNEXPECTED: the ${name} exited by itself (code ${code}, signal ${signal}); starting it again`);
      setTimeout(() => {
        if (stopping() || app.running) return;
        app.start();
        timeline.note(`the ${name} started again (pids ${app.pid})`);
      }, 1_000);
    };
  }
}
