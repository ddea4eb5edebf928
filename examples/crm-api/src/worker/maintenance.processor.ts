import { Cron, InjectProducer, QueueProcessor, type Producer, type QueueHandler } from '@acme/nest-queues';
import { Logger } from '@nestjs/common';
import { maintenance, staleDeals as staleDealsQueue } from '../jobs/queues';
import { WorkspaceDirectory } from './workspace-directory';

/** The nightly stale-deal check: one BullMQ job scheduler for the cluster, fanned out per workspace. */
@Cron(maintenance, { name: 'nightly-stale-deal-check', pattern: '0 2 * * *', tz: 'UTC', payload: {} })
@QueueProcessor(maintenance)
export class MaintenanceProcessor implements QueueHandler<typeof maintenance> {
  private readonly logger = new Logger('Maintenance');

  constructor(
    private readonly workspaces: WorkspaceDirectory,
    @InjectProducer(staleDealsQueue) private readonly staleDeals: Producer<typeof staleDealsQueue>,
  ) {}

  async process(): Promise<{ workspaces: number }> {
    const ids = await this.workspaces.allIds();
    await this.staleDeals.addForEachWorkspace(ids, {});
    this.logger.log({ msg: 'stale-deal check fanned out', workspaces: ids.length });
    return { workspaces: ids.length };
  }
}
