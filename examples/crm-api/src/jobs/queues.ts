import { defineQueue } from '@acme/nest-queues';
import { z } from 'zod';

// The queues both processes import: the API produces, the worker (src/worker.ts) consumes.

/** Cluster-wide maintenance crons (no workspace): they fan out one job per workspace. */
export const maintenance = defineQueue({
  name: 'maintenance',
  payload: z.object({}),
  defaults: { attempts: 3 },
});

/** One workspace's stale-deal check (the job carries that workspace in its context). */
export const staleDeals = defineQueue({
  name: 'stale-deals',
  payload: z.object({ stale_after_days: z.int().min(1).max(365).default(14) }),
  concurrency: 4,
});

/** Emails: rendered to the worker's log (the demo has no mail server). */
export const emails = defineQueue({
  name: 'emails',
  payload: z.object({
    to: z.email(),
    template: z.enum(['Stale Deals Digest', 'Member Added']),
    subject: z.string().max(200),
    lines: z.array(z.string().max(500)).max(100),
  }),
  defaults: { attempts: 5, backoff: { type: 'exponential', delay: 2000 } },
  concurrency: 5,
});

export const ALL_QUEUES = [maintenance, staleDeals, emails];
