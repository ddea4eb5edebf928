import { ContextService } from '@acme/nest-context';
import { QueueProcessor, type PayloadOf, type QueueHandler } from '@acme/nest-queues';
import { Tenancy } from '@acme/nest-tenancy';
import { staleDeals } from '../jobs/queues';
import { StaleDealChecker } from './stale-deal-checker';

/** Runs one workspace's check in that workspace's RLS transaction (the job's context names it). */
@QueueProcessor(staleDeals)
export class StaleDealsProcessor implements QueueHandler<typeof staleDeals> {
  constructor(
    private readonly tenancy: Tenancy,
    private readonly context: ContextService,
    private readonly checker: StaleDealChecker,
  ) {}

  process(payload: PayloadOf<typeof staleDeals>) {
    const { workspaceId, actor } = this.context.require();
    if (!workspaceId) throw new Error('stale-deals jobs are enqueued per workspace (addForEachWorkspace)');
    return this.tenancy.runInWorkspace(workspaceId, () => this.checker.flagStale(payload.stale_after_days), actor);
  }
}
