import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Env } from '../config/env.schema';
import { APP_DB, APP_POOL, SYSTEM_DB, SYSTEM_POOL } from './database.tokens';
import { schema } from './schema';

const logger = new Logger('Database');

/**
 * How long a request waits for a connection (a new one, or a free one of a busy pool) before it
 * fails: with PostgreSQL unreachable but silent (a dropped network, not a refused port) requests
 * answer 503 SERVICE_UNAVAILABLE instead of hanging.
 */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * A pooled connection the server drops (restart, failover) emits 'error': log it, never crash.
 * The pool listens on idle connections only; a connection checked out (a Drizzle transaction in
 * progress) gets its own listener, and the query in flight rejects with the error anyway.
 */
function watched(pool: pg.Pool): pg.Pool {
  pool.on('error', (error) => logger.warn({ msg: 'idle database connection lost', err: error.message }));
  pool.on('connect', (client) => client.on('error', (error) => logger.warn({ msg: 'database connection lost', err: error.message })));
  return pool;
}

/** The two connection pools (runtime role, system role) and their Drizzle databases. */
@Global()
@Module({
  providers: [
    {
      provide: APP_POOL,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Env, true>) =>
        watched(
          new pg.Pool({
            connectionString: config.get('DATABASE_URL'),
            max: config.get('DATABASE_POOL_SIZE'),
            connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
            application_name: 'crm-api',
          }),
        ),
    },
    {
      provide: SYSTEM_POOL,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Env, true>) =>
        watched(
          new pg.Pool({
            connectionString: config.get('SYSTEM_DATABASE_URL'),
            max: 4,
            connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
            application_name: 'crm-api-system',
          }),
        ),
    },
    { provide: APP_DB, inject: [APP_POOL], useFactory: (pool: pg.Pool) => drizzle(pool, { schema }) },
    { provide: SYSTEM_DB, inject: [SYSTEM_POOL], useFactory: (pool: pg.Pool) => drizzle(pool, { schema }) },
  ],
  exports: [APP_DB, SYSTEM_DB, APP_POOL, SYSTEM_POOL],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(
    @Inject(APP_POOL) private readonly appPool: pg.Pool,
    @Inject(SYSTEM_POOL) private readonly systemPool: pg.Pool,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.appPool.end(), this.systemPool.end()]);
  }
}
