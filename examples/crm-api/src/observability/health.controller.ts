import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ViewResponse } from '@acme/nest-view-presenter';
import { HealthView } from '@acme-examples/crm-contracts';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { Public } from '../auth/public.decorator';
import { SkipApiRateLimits } from '../throttling/api-rate-limits';
import { SYSTEM_POOL } from '../database/database.tokens';
import { REDIS } from '../redis/redis.module';

const started = Date.now();

const probe = (check: () => Promise<unknown>) =>
  Promise.race([check().then(() => 'Up' as const), new Promise<'Down'>((resolve) => setTimeout(() => resolve('Down'), 1_000).unref())]).catch(
    () => 'Down' as const,
  );

@ApiTags('Health')
// Probes are not API traffic: never limited (nor refused when Redis, which it checks, is down).
@SkipApiRateLimits()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(SYSTEM_POOL) private readonly pool: pg.Pool,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** 200 'Ok' when PostgreSQL and Redis answer within a second, else 503 'Degraded'. */
  @Get()
  @Public()
  @ViewResponse(HealthView)
  async health(@Res({ passthrough: true }) response: { status(code: number): unknown }) {
    const [database, redis] = await Promise.all([probe(() => this.pool.query('SELECT 1')), probe(() => this.redis.ping())]);
    const ok = database === 'Up' && redis === 'Up';
    if (!ok) response.status(503);
    return { status: ok ? ('Ok' as const) : ('Degraded' as const), checks: { database, redis }, uptime_seconds: Math.floor((Date.now() - started) / 1000) };
  }
}
