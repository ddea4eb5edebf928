import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@acme/nest-testing';
import { Queue } from 'bullmq';
import { AppProcess } from '../../chaos/app-process';
import { buildApp } from '../../chaos/build-app';
import { RunResources } from '../../chaos/run-resources';
import { maintenance } from '../../src/jobs/queues';
import { testAppEnv } from './test-app';

const APP_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const START_TIMEOUT_MS = 60_000;

export interface ReplicaStackOptions {
  /** Owner URL of a migrated database (the processes connect as crm_app and crm_system, TEST_PASSWORDS). */
  ownerUrl: string;
  redis: { url: string; prefix: string };
  apis: number;
  workers: number;
  /** Variables for every process, over the test defaults. */
  env?: Record<string, string>;
}

export interface ApiReplica {
  name: string;
  /** `http://127.0.0.1:<port>`: supertest and fetch take it as the server. */
  url: string;
}

/** API and worker processes of one fresh build, started as production runs them, on one database and one Redis. */
export interface ReplicaStack {
  apis: ApiReplica[];
  workers: string[];
  /** The environment every process shares (QUEUE_PREFIX, REDIS_URL...). */
  env: Record<string, string>;
  /** A process's JSON log lines. */
  logLines(name: string): Record<string, unknown>[];
  /** The end of a process's log, for assertion messages. */
  logTail(name: string, lines?: number): string;
  /** Exits nobody asked for (a crash is a finding), as `name code signal`. */
  unexpectedExits: string[];
  close(): Promise<void>;
}

/**
 * Builds the example into a run directory (as `pnpm chaos` does, through chaos/build-app.ts: a
 * copy of its own, so another build cannot pull files from under it) and starts `apis` API
 * processes (dist/main.js, each on its own port) and `workers` worker processes (dist/worker.js),
 * each logging JSON to its own file. Resolves once every API answers /health and every worker
 * serves the maintenance and audit queues. Whatever happens to the test, `close()` or the chaos
 * watchdog stops every process and removes the run directory.
 */
export async function startReplicaStack(options: ReplicaStackOptions): Promise<ReplicaStack> {
  const resources = new RunResources();
  try {
    mkdirSync(join(APP_ROOT, '.tmp'), { recursive: true });
    const runDir = mkdtempSync(join(APP_ROOT, '.tmp', 'replicas-'));
    resources.trackDir(runDir);
    buildApp(APP_ROOT, join(runDir, 'dist'), () => undefined);
    // The processes' os.tmpdir(), where @acme/nest-audit spools batches: this run's alone.
    const spoolRoot = join(runDir, 'tmp');
    mkdirSync(spoolRoot, { recursive: true });
    const env: Record<string, string> = {
      ...testAppEnv(options.ownerUrl, options.redis),
      TMPDIR: spoolRoot,
      HOST: '127.0.0.1',
      // The workers write the audit trail, as in production.
      AUDIT_WRITER_IN_API: 'false',
      // JSON lines on stdout, which the run appends to <name>.log: the workers' are read by the tests.
      LOG_LEVEL: 'info',
      // Four processes share the test PostgreSQL with the other test files.
      DATABASE_POOL_SIZE: '4',
      ...options.env,
    };
    const unexpectedExits: string[] = [];
    const logFile = (name: string) => join(runDir, `${name}.log`);
    const start = (name: string, script: string, extra: Record<string, string>) => {
      const app = new AppProcess(name, join(runDir, 'dist', script), { ...env, ...extra }, logFile(name), resources);
      app.onUnexpectedExit = (exited, code, signal) => unexpectedExits.push(`${exited} ${code} ${signal}`);
      app.start();
      return app;
    };
    const apis: (ApiReplica & { app: AppProcess })[] = [];
    for (let i = 1; i <= options.apis; i++) {
      const port = await freePort();
      const name = `api-${i}`;
      apis.push({ name, url: `http://127.0.0.1:${port}`, app: start(name, 'main.js', { PORT: String(port) }) });
    }
    const workers = Array.from({ length: options.workers }, (_, i) => start(`worker-${i + 1}`, 'worker.js', {}));

    const readLog = (name: string) => {
      try {
        return readFileSync(logFile(name), 'utf8');
      } catch {
        return '';
      }
    };
    const logTail = (name: string, lines = 30) => readLog(name).trimEnd().split('\n').slice(-lines).join('\n');
    const waitFor = async (what: string, apps: AppProcess[], ready: () => Promise<boolean>) => {
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (!(await ready().catch(() => false))) {
        const gone = apps.find((app) => !app.running);
        if (gone) throw new Error(`${gone.name} exited during start:\n${logTail(gone.name)}`);
        if (Date.now() > deadline)
          throw new Error(`${what} not ready after ${START_TIMEOUT_MS / 1000} s:\n${apps.map((a) => `${a.name}:\n${logTail(a.name)}`).join('\n')}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    const connection = { url: options.redis.url };
    const queues = [maintenance.name, 'audit-write'].map((name) => new Queue(name, { connection, prefix: options.redis.prefix }));
    try {
      await Promise.all([
        waitFor(
          'the APIs',
          apis.map((api) => api.app),
          async () => (await Promise.all(apis.map(async (api) => (await fetch(`${api.url}/health`)).ok))).every(Boolean),
        ),
        // Each worker serves the maintenance queue (crons) and consumes the audit batches.
        waitFor('the workers', workers, async () => (await Promise.all(queues.map((queue) => queue.getWorkersCount()))).every((n) => n >= workers.length)),
      ]);
    } finally {
      await Promise.all(queues.map((queue) => queue.close()));
    }
    return {
      apis: apis.map(({ name, url }) => ({ name, url })),
      workers: workers.map((worker) => worker.name),
      env,
      logLines: (name) =>
        readLog(name)
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>),
      logTail,
      unexpectedExits,
      close: async () => {
        await resources.cleanup();
      },
    };
  } catch (error) {
    await resources.cleanup();
    throw error;
  }
}
