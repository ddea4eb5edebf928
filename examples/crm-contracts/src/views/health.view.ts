import { z } from 'zod';

const Check = z.enum(['Up', 'Down']);

export const HealthView = z
  .object({
    status: z.enum(['Ok', 'Degraded']),
    checks: z.object({ database: Check, redis: Check }),
    uptime_seconds: z.int().nonnegative(),
  })
  .meta({ id: 'HealthView' });
export type HealthView = z.infer<typeof HealthView>;
