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
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { report } from './lib/measure.ts';
import { startServerProcess, type ServerProcess } from './lib/server-process.ts';

const COMPANIES = 60; // more than a page: the cursor and the total are real
const LIMIT = 50;
const CONNECTIONS = 16;
const ROUND_SECONDS = 5;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const WARMUP_SECONDS = 3;

const here = dirname(fileURLToPath(import.meta.url));
const crmApi = join(here, '..', 'examples', 'crm-api');

// The app is measured as it is now: rebuilt every run (tsup, well under a second), never a stale dist.
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
  await seedCompanies(database.url, session.workspaceId, session.userId);

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

function buildCrmApi(): void {
  const run = spawnSync('pnpm', ['run', '--silent', 'build'], { cwd: crmApi, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`crm-api build failed:\n${run.stderr}${run.stdout}`);
}

function migrate(ownerUrl: string, passwords: { app: string; system: string }): void {
  const run = spawnSync(process.execPath, [join(crmApi, 'dist', 'migrate.js')], {
    cwd: crmApi,
    env: { ...process.env, MIGRATION_DATABASE_URL: ownerUrl, APP_DB_PASSWORD: passwords.app, SYSTEM_DB_PASSWORD: passwords.system },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`crm-api migrate failed (is it built? pnpm build):\n${run.stderr}${run.stdout}`);
}

function asRole(url: string, role: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = role;
  parsed.password = password;
  return parsed.toString();
}

/** Registers a user, which creates their workspace (they are its Admin), through the API. */
async function register(baseUrl: string): Promise<{ accessToken: string; workspaceId: string; userId: string }> {
  const response = await fetch(`${baseUrl}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', password: 'correct horse battery staple', name: 'Bench', workspace_name: 'Bench Co' }),
  });
  if (response.status !== 201) throw new Error(`register answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { access_token: string; workspace: { id: string }; user: { id: string } };
  return { accessToken: body.access_token, workspaceId: body.workspace.id, userId: body.user.id };
}

/** COMPANIES companies with 3 contacts, 2 deals (one open) and 2 activities each, as the owner. */
async function seedCompanies(ownerUrl: string, workspaceId: string, ownerId: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query(
      `WITH company AS (
         INSERT INTO companies (workspace_id, name, domain, industry, size_range, status, employee_count, employee_count_90d_ago, owner_id, created_at)
         SELECT $1, 'Company ' || n, 'company' || n || '.example', 'Software', '51-200', 'Customer', 100 + n, 90 + n, $2, now() - n * interval '1 day'
           FROM generate_series(1, $3::int) AS n
         RETURNING id
       ), contact AS (
         INSERT INTO contacts (workspace_id, company_id, first_name, last_name, email, owner_id)
         SELECT $1, company.id, 'Ada', 'Lovelace ' || k, 'ada' || k || '@' || company.id || '.example', $2 FROM company, generate_series(1, 3) AS k
       ), deal AS (
         INSERT INTO deals (workspace_id, company_id, owner_id, title, amount, stage)
         SELECT $1, company.id, $2, 'Deal ' || k, 1000 * k, CASE k WHEN 1 THEN 'Qualified' ELSE 'Won' END FROM company, generate_series(1, 2) AS k
       )
       INSERT INTO activities (workspace_id, company_id, kind, label, actor_id, occurred_at)
       SELECT $1, company.id, 'Email Sent', 'Intro ' || k, $2, now() - k * interval '1 hour' FROM company, generate_series(1, 2) AS k`,
      [workspaceId, ownerId, COMPANIES],
    );
  } finally {
    await client.end();
  }
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
