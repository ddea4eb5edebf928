import { defineQueue } from '@acme/nest-queues';
import { z } from 'zod';

/** The two queues of `pnpm bench fairness`: the same settings, one with fairness. */
export const CONCURRENCY = 20;
export const QUIET = '0190a0b2-0000-7000-8000-00000000000b';
const payload = z.object({ n: z.number().int() });
const defaults = { removeOnComplete: true, removeOnFail: true };
export const fair = defineQueue({ name: 'bench-fair', payload, defaults, concurrency: CONCURRENCY, fairness: { by: 'workspace' } });
export const fifo = defineQueue({ name: 'bench-fifo', payload, defaults, concurrency: CONCURRENCY });

/** Wall-clock ms with sub-ms precision, comparable across the bench's processes. */
export const now = () => performance.timeOrigin + performance.now();
