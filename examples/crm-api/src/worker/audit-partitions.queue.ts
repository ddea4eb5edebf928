import { defineQueue } from '@acme/nest-queues';
import { z } from 'zod';

/**
 * The audit table's partition upkeep (native partitions, without TimescaleDB). Only the worker
 * uses it: its daily cron enqueues, its processor runs; no payload.
 */
export const auditPartitions = defineQueue({
  name: 'audit-partitions',
  payload: z.object({}),
  defaults: { attempts: 5, backoff: { type: 'exponential', delay: 60_000 } },
});
