import { startPostgres, startRedis, type StartedService } from '@acme/nest-testing';
import pg from 'pg';

export interface DemoServers {
  /** Owner connection to the demo database. */
  ownerUrl: string;
  redisUrl: string;
  postgres: StartedService;
  redis: StartedService | null;
}

const REDIS_HELP = `The demo needs Redis. Either
  - set REDIS_URL to a running server (REDIS_URL=redis://127.0.0.1:6379 pnpm demo), or
  - install redis-server so the demo can start one: apt-get install redis-server (Debian/Ubuntu), brew install redis (macOS).`;

/**
 * PostgreSQL: DEMO_DATABASE_URL (a superuser URL) when set, else an embedded PostgreSQL 17 in a temp
 * dir. Redis: REDIS_URL when set, else a redis-server child process.
 */
export async function startDemoServers(log: (line: string) => void): Promise<DemoServers> {
  const postgres = await startPostgres(
    process.env.DEMO_DATABASE_URL ? { url: process.env.DEMO_DATABASE_URL, strategies: ['url'] } : { strategies: ['embedded'] },
  );
  log(`PostgreSQL: ${postgres.source === 'url' ? 'DEMO_DATABASE_URL' : 'embedded PostgreSQL 17'}`);
  let redis: StartedService | null = null;
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    try {
      redis = await startRedis({ strategies: ['embedded'] });
      redisUrl = redis.url;
      log(`Redis: redis-server started on ${redisUrl}`);
    } catch {
      await postgres.stop();
      throw new Error(REDIS_HELP);
    }
  } else {
    log('Redis: REDIS_URL');
  }
  const ownerUrl = await createDemoDatabase(postgres.url);
  return { ownerUrl, redisUrl, postgres, redis };
}

/** A database named crm_demo (dropped and recreated: the demo always starts from its seed). */
async function createDemoDatabase(serverUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query('DROP DATABASE IF EXISTS crm_demo WITH (FORCE)');
    await client.query('CREATE DATABASE crm_demo');
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = '/crm_demo';
  return url.toString();
}
