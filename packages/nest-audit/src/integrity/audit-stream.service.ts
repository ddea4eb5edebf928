import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AuditPipeline } from '../audit-pipeline';
import { RESOLVED_AUDIT_OPTIONS } from '../audit.module-definition';
import type { ResolvedAuditOptions } from '../resolve-audit-options';
import { AuditSinkPump } from '../sinks/audit-sink-pump';
import type { ResolvedAuditSinks } from '../sinks/resolve-sink-options';
import { auditTableName, type AuditTableName } from '../storage/sql-identifier';

/**
 * Feeds `integrity.sinks`: every workspace's entries, in chain order, from each sink's stored
 * position (`<table>_sink_positions`), which moves only after the sink accepted the batch. Runs
 * every `sinkDelivery.everyMs` as a job scheduler on the audit queue in a process that consumes
 * it, on a timer without a queue, never on its own in a process with `queue.consumer: false`;
 * and on demand with `pump()`.
 */
@Injectable()
export class AuditStreamService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private readonly settings: ResolvedAuditSinks | undefined;
  private readonly queue: ResolvedAuditOptions['queue'];
  private readonly name: AuditTableName;
  private pumper: AuditSinkPump | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(RESOLVED_AUDIT_OPTIONS) options: ResolvedAuditOptions,
    private readonly pipeline: AuditPipeline,
  ) {
    this.settings = options.integrity.sinks;
    this.queue = options.queue;
    this.name = auditTableName(options.table, options.schema);
  }

  async onApplicationBootstrap(): Promise<void> {
    const settings = this.settings;
    if (!settings) return;
    if (await this.pipeline.scheduleTask('sinks', settings.everyMs, () => this.scheduledRound())) return;
    // A process that leaves the queue to a worker (an API process) leaves the sinks to it as well:
    // their outbound calls belong with the consumer. pump() still runs here when called.
    if (this.queue && !this.queue.consumer) return;
    this.timer = setInterval(() => void this.scheduledRound(), settings.everyMs).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /**
   * One round now, for every sink and workspace: reads after each sink's position, sends in
   * chain order, and moves the position after each accepted batch. A failed batch is retried in
   * a later round once its backoff has passed (the same range), and after `maxAttempts` it is
   * stored in `<table>_sink_dead_letters` and the position moves on. Resolves when the round is
   * done (sink failures are logged, not thrown); rejects when the database fails. Without sinks
   * it does nothing. Workspaces another pump (process) is delivering are left to it.
   */
  async pump(): Promise<void> {
    const settings = this.settings;
    if (!settings) return;
    // One round at a time in a process; other processes are kept apart by the position locks.
    while (this.running) await this.running.catch(() => undefined);
    this.pumper ??= new AuditSinkPump(this.pipeline.database, this.name, settings.sinks, settings, this.logger);
    const round = this.pumper.round().then(() => undefined);
    this.running = round.finally(() => (this.running = undefined));
    return round;
  }

  private async scheduledRound(): Promise<void> {
    if (this.running) return; // the previous round is still going: this one is simply skipped
    try {
      await this.pump();
    } catch (error) {
      this.logger.error(`Audit sink round failed, the next one retries: ${String(error)}`);
    }
  }
}
