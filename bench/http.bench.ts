/**
 * Requests per second of a real list endpoint, against real PostgreSQL and Redis (embedded
 * unless DATABASE_URL / REDIS_URL), each server in its own process, load from autocannon:
 *  - ours:     GET /companies?limit=50 of the CRM example (examples/crm-api, built): JWT auth,
 *              workspace membership check, CASL PoliciesGuard + accessibleBy, tenantDb under RLS
 *              (one transaction per request), presenter + strict contract validation, nestjs-pino
 *              request logging, Prometheus HTTP metrics;
 *  - baseline: a bare NestJS handler (lib/http-baseline-server.ts) running the same queries
 *              through `pg` with a hand-written workspace filter and returning the rows.
 * Both serve the same 50 companies (with contacts, deals and activities) of one workspace.
 * Rounds alternate which server goes first; the medians of requests/second are reported.
 *
 * ROUNDS=n changes the number of rounds; PROF=1 writes a CPU profile of the CRM API to /tmp/prof;
 * OURS_ENV='{"LOG_LEVEL":"silent"}' overrides its environment, to see what one part costs.
 */
import { createTestDatabase, startPostgres, startRedis } from '@acme/nest-testing';
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, report } from './lib/measure.ts';
import { asRole, buildCrmApi, crmApi, migrate, register, seedCompanies } from './lib/crm-api.ts';
import { startServerProcess, type ServerProcess } from './lib/server-process.ts';

const COMPANIES = 60; // more than a page: the cursor and the total are real
const LIMIT = 50;
const CONNECTIONS = 16;
const ROUND_SECONDS = 5;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const WARMUP_SECONDS = 3;

const here = dirname(fileURLToPath(import.meta.url));

buildCrmApi();
const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
const database = await createTestDatabase({ url: postgres.url, prefix: 'bench_http' });
const servers: ServerProcess[] = [];

try {
  const passwords = { app: randomBytes(12).toString('hex'), system: randomBytes(12).toString('hex') };
  migrate(database.url, passwords);
  const ours = await startServerProcess(
    'crm-api',
    [...(process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []), join(crmApi, 'dist', 'main.js')],
    {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      DATABASE_URL: asRole(database.url, 'crm_app', passwords.app),
      SYSTEM_DATABASE_URL: asRole(database.url, 'crm_system', passwords.system),
      REDIS_URL: redis.url,
      QUEUE_PREFIX: `bench-http-${randomBytes(4).toString('hex')}`,
      JWT_SECRET: randomBytes(32).toString('base64url'),
      ACCESS_TOKEN_TTL_SECONDS: '3600',
      LOG_LEVEL: 'info',
      // Measured as the baseline works: no cache (pnpm bench cache measures it), and no rate limit
      // a load test would hit (they still count every request in Redis).
      CACHE_ENABLED: 'false',
      RATE_LIMIT_WORKSPACE_PER_MINUTE: '1000000000',
      RATE_LIMIT_USER_PER_MINUTE: '1000000000',
      ...(process.env.OURS_ENV ? JSON.parse(process.env.OURS_ENV) : {}),
    },
    { cwd: crmApi },
  );
  servers.push(ours);

  const session = await register(ours.url);
  await seedCompanies(database.url, session.workspaceId, session.userId, COMPANIES);

  const baseline = await startServerProcess(
    'baseline',
    ['--import', 'tsx', join(here, 'lib', 'http-baseline-server.ts')],
    {
      DATABASE_URL: database.url,
      WORKSPACE_ID: session.workspaceId,
    },
    { cwd: here },
  );
  servers.push(baseline);

  const targets = {
    ours: { url: `${ours.url}/companies?limit=${LIMIT}`, headers: { authorization: `Bearer ${session.accessToken}` } },
    baseline: { url: `${baseline.url}/companies?limit=${LIMIT}`, headers: {} },
  };
  await assertSamePage(targets);

  for (const target of Object.values(targets)) await load(target, WARMUP_SECONDS);
  const rps = { ours: [] as number[], baseline: [] as number[] };
  const latency = { ours: [] as number[], baseline: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['ours', 'baseline'] as const) : (['baseline', 'ours'] as const);
    for (const name of order) {
      const result = await load(targets[name], ROUND_SECONDS);
      rps[name].push(result.requests.average);
      latency[name].push(result.latency.p50);
    }
  }
  console.log(`rounds ours:     ${rps.ours.map((n) => n.toFixed(0)).join(' ')} req/s (p50 ${median(latency.ours)} ms)`);
  console.log(`rounds baseline: ${rps.baseline.map((n) => n.toFixed(0)).join(' ')} req/s (p50 ${median(latency.baseline)} ms)`);
  console.log(`${CONNECTIONS} connections, ${ROUNDS} rounds of ${ROUND_SECONDS} s each, ${LIMIT} companies per response`);
  report('http', median(rps.ours), median(rps.baseline), 'req/s', 'higher', rps);
} finally {
  await Promise.allSettled(servers.map((server) => server.stop()));
  await database.drop().catch(() => undefined);
  await Promise.allSettled([postgres.stop(), redis.stop()]);
}

/** Both servers must serve the same page before their speeds mean anything. */
async function assertSamePage(targets: Record<'ours' | 'baseline', { url: string; headers: Record<string, string> }>): Promise<void> {
  const [ours, baseline] = await Promise.all(
    [targets.ours, targets.baseline].map(async ({ url, headers }) => {
      const response = await fetch(url, { headers });
      if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as { items: { id: string }[]; total: number };
    }),
  );
  const ids = (page: { items: { id: string }[] }) => page.items.map((item) => item.id).join();
  if (ours!.items.length !== LIMIT || ids(ours!) !== ids(baseline!) || ours!.total !== baseline!.total) {
    throw new Error(`ours and the baseline serve different pages (${ours!.items.length} vs ${baseline!.items.length} items)`);
  }
}

async function load(target: { url: string; headers: Record<string, string> }, seconds: number): Promise<autocannon.Result> {
  const result = await autocannon({ url: target.url, headers: target.headers, connections: CONNECTIONS, duration: seconds });
  if (result.errors || result.non2xx || result.timeouts) {
    throw new Error(`${target.url}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`);
  }
  return result;
}
