import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { APP_ROLE, SYSTEM_ROLE, urlForRole } from '../src/database/database-roles';
import { migrateDatabase } from '../src/database/migrate-database';
import { seedDemo, type SeedResult } from '../src/database/seed';
import { freePort } from '@acme/nest-testing';
import { AppProcess } from './app-process';
import { AuditQueueProbe } from './audit-queue-probe';
import { buildApp } from './build-app';
import { sleep } from './clock';
import { ChaosError } from './chaos.errors';
import type { ChaosOptions } from './chaos-options';
import { ChaosPostgres } from './postgres-server';
import { ChaosRedis } from './redis-server';
import type { RunResources } from './run-resources';

const QUEUE_PREFIX = 'crm';

/** Everything a run drives: the servers, the two app processes, and where to reach them. */
export interface Stack {
  runDir: string;
  postgres: ChaosPostgres;
  redis: ChaosRedis;
  api: AppProcess;
  worker: AppProcess;
  /** Owner (migration) URL of the run's database: reconciliation reads the tables with it. */
  ownerUrl: string;
  /** The app processes' temp dir, where @acme/nest-audit spools every batch until the table has it. */
  spoolRoot: string;
  baseUrl: string;
  seed: SeedResult;
  auditQueue: AuditQueueProbe;
}

/**
 * Starts the example as it runs in production, on servers the run can restart: PostgreSQL 17
 * (embedded) and a redis-server with AOF, migrated and seeded like `pnpm demo`, then the API
 * (dist/main.js) and the worker (dist/worker.js) as separate processes of a fresh build.
 */
export async function startStack(options: ChaosOptions, appRoot: string, resources: RunResources, log: (line: string) => void): Promise<Stack> {
  // Under the app (so the build resolves its node_modules), in .tmp/ (ignored by git and lint).
  mkdirSync(join(appRoot, '.tmp'), { recursive: true });
  const runDir = mkdtempSync(join(appRoot, '.tmp', 'chaos-'));
  resources.trackDir(runDir);
  log(`run directory ${runDir}${options.keep ? ' (kept)' : ''}`);

  buildApp(appRoot, join(runDir, 'dist'), log);
  log('built the API and the worker');

  const postgres = await ChaosPostgres.create(resources, join(runDir, 'postgres.log'));
  const volatile = options.break === 'volatile-redis';
  const redis = await ChaosRedis.create({ dir: join(runDir, 'redis'), volatile, logFile: join(runDir, 'redis.log'), resources });
  log(
    `PostgreSQL 17 on port ${postgres.port} (data ${postgres.dataDir}), Redis on port ${redis.port} (${volatile ? 'VOLATILE: no AOF' : 'AOF, fsync every second, noeviction'}); pids ${resources.listPids().join(' ')}`,
  );

  const ownerUrl = await createDatabase(postgres.url, 'crm_chaos');
  const passwords = { app: randomBytes(12).toString('hex'), system: randomBytes(12).toString('hex') };
  await migrateDatabase({ ownerUrl, passwords });
  const seed = await seedDemo(ownerUrl);
  log(`migrated and seeded ${seed.workspaces.map((w) => w.name).join(' and ')}`);

  const port = await freePort();
  // The app processes' os.tmpdir(): the audit spool lives under it, so the run sees it drain, and
  // no other process on this machine can adopt (and write elsewhere) this run's orphaned batches.
  const spoolRoot = join(runDir, 'tmp');
  mkdirSync(spoolRoot, { recursive: true });
  const env: Record<string, string> = {
    TMPDIR: spoolRoot,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: urlForRole(ownerUrl, APP_ROLE, passwords.app),
    SYSTEM_DATABASE_URL: urlForRole(ownerUrl, SYSTEM_ROLE, passwords.system),
    REDIS_URL: redis.url,
    QUEUE_PREFIX,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    // Sessions sign in once, before the faults; a long run must not outlive its tokens.
    ACCESS_TOKEN_TTL_SECONDS: '3600',
    LOG_LEVEL: 'info',
    // Mutations at full speed from a few users: far past the production defaults (1,200 a minute per
    // user), which this run is not about. A limit would answer 429 and count as a failed mutation.
    RATE_LIMIT_WORKSPACE_PER_MINUTE: '10000000',
    RATE_LIMIT_USER_PER_MINUTE: '10000000',
    // The broken variant only: without it the app refuses a Redis without AOF.
    ...(volatile ? { REDIS_ALLOW_VOLATILE: 'true' } : {}),
  };
  const dist = join(runDir, 'dist');
  const api = new AppProcess('api', join(dist, 'main.js'), env, join(runDir, 'api.log'), resources);
  const worker = new AppProcess('worker', join(dist, 'worker.js'), env, join(runDir, 'worker.log'), resources);
  const auditQueue = new AuditQueueProbe(redis.port, QUEUE_PREFIX);
  resources.onCleanup('audit queue probe', () => auditQueue.close());
  const baseUrl = `http://127.0.0.1:${port}`;
  api.start();
  await waitFor('the API', api, 60_000, async () => (await fetch(`${baseUrl}/health`).catch(() => null))?.ok === true);
  worker.start();
  await waitForWriter(worker, auditQueue);
  log(`API on ${baseUrl} and worker started (pids ${resources.listPids().join(' ')})`);
  return { runDir, postgres, redis, api, worker, ownerUrl, spoolRoot, baseUrl, seed, auditQueue };
}

/** Waits until the worker's audit writer is connected to the queue. */
export function waitForWriter(worker: AppProcess, auditQueue: AuditQueueProbe, timeoutMs = 60_000): Promise<void> {
  return waitFor('the worker', worker, timeoutMs, async () => ((await auditQueue.state())?.writers ?? 0) > 0);
}

async function waitFor(what: string, app: AppProcess, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (!app.running) throw new ChaosError('CHAOS_APP_START', `${what} exited during start: see ${app.name}.log in the run directory (--keep keeps it).`);
    if (Date.now() > deadline)
      throw new ChaosError('CHAOS_APP_START', `${what} was not ready after ${timeoutMs / 1000} s: see ${app.name}.log in the run directory (--keep keeps it).`);
    await sleep(200);
  }
}

async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
