/**
 * The CRM example (examples/crm-api, built) under a realistic mix of requests, against a bare
 * NestJS app running the same SQL by hand, on real PostgreSQL and Redis (embedded unless
 * DATABASE_URL / REDIS_URL), every server in its own process, load from autocannon.
 *
 *  - ours:     dist/main.js as its defaults run it (JWT, membership check, CASL PoliciesGuard,
 *              accessibleBy and row conditions, tenantDb under RLS in one transaction per request,
 *              presenters with strict contract validation, @Audit entries batched through BullMQ,
 *              pino request logs, Prometheus metrics), with dist/worker.js writing the audit trail
 *              in its own process. CACHE_ENABLED=false (`pnpm bench cache` measures the cache) and
 *              rate limits raised out of the load's way; the full environment is printed.
 *  - baseline: lib/http-baseline-server.ts, the same statements through one `pg` pool of the same
 *              size (DATABASE_POOL_SIZE), the workspace filter written by hand, each mutation and
 *              its audit row (a plain INSERT) in one transaction.
 *
 * Data: 4 workspaces x 6 users (Admin, Operator, 2 Pipeline, 2 Viewer: 24 users, so abilities are
 * built for many users and roles), 60 companies, 180 contacts, 120 activities and 620 deals per
 * workspace. The mix (lib/http-mix.ts MIX), drawn by a seeded generator, the same sequence for
 * both sides, each request by a user whose role allows it:
 *   GET /deals?limit=20 20%, with ?stage= 10%, with the second page's ?cursor= 10%,
 *   GET /companies?limit=20 5%, with ?status= 5%, GET /deals/:id 20%, GET /companies/:id 10%,
 *   POST /deals 5%, PATCH /deals/:id 5%, POST /deals/:id/stage 5%, DELETE /deals/:id 5% (audited).
 * Pipeline users update and move only deals they own: the CASL rule with the condition
 * `ownerId: user.id` is checked against the row on every one of their writes. Each side mutates
 * deals of its own; deletes take the deals that side's creates made (oldest first), so the tables
 * keep their size.
 *
 * Before measuring: the first request of every kind is sent to both sides and their answers
 * compared (ids, totals, cursors, counts). Then STATEMENT_SAMPLE requests of the mix go one by
 * one to each side, counted by pg_stat_statements (statements per request, ours split between the
 * API process and the worker's audit writer, and the most frequent ones) and by Redis's
 * commandstats (commands per request: rate limits, audit queue, worker polling); the audit rows
 * then number exactly one per mutation on each side (ours once its worker has written them).
 * After every round they are counted again: at least one per 2xx mutation, at most CONNECTIONS
 * more (requests cut off when a round ends). Ours's worker drains before the next round starts.
 *
 * Output: per round requests/s, p50, p99 and the resident memory (RSS) of the API process of each
 * side (and of our worker); BENCH http-mix (req/s, better=higher) and http-mix-p99 (ms,
 * better=lower), medians over the rounds, with the min/max of the per-round ratios.
 *
 * ROUNDS=n (default 5), ROUND_SECONDS=s (default 10), CONNECTIONS=n (default 16);
 * PROF=1 writes a CPU profile of our API process to /tmp/prof-http and prints its top functions
 * and packages by self time, from the samples taken during our timed rounds only;
 * OURS_ENV='{"LOG_LEVEL":"silent"}' overrides our environment, to see what one part costs.
 *
 * `pnpm bench http --soak`: after the checks, loads ours alone for SOAK_MINUTES (default 5) and
 * prints the RSS of the API and the worker every minute; exits 1 when either grew more than 10%
 * between the second minute and the last (warm-up is the first minute).
 */
import { asRole, buildCrmApi, crmApi, migrate } from './lib/crm-api.ts';
import { createTestDatabase, startRedis } from '@acme/nest-testing';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { median, report } from './lib/measure.ts';
import { SIDES, seedMix, type MixData, type Side } from './lib/http-mix-data.ts';
import { startBenchPostgres, StatementCounter, type StatementCount } from './lib/http-mix-postgres.ts';
import { monotonicMicros, profileTop, rssMb, startWorkerProcess } from './lib/http-mix-processes.ts';
import { MIX, MixRunner, MUTATIONS, operationSequence, PAGE, type MixRequest, type OperationKind, type Tally } from './lib/http-mix.ts';
import { startServerProcess } from './lib/server-process.ts';

const CONNECTIONS = Number(process.env.CONNECTIONS ?? 16);
const ROUND_SECONDS = Number(process.env.ROUND_SECONDS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const WARMUP_SECONDS = 5;
const STATEMENT_SAMPLE = 300;
const SEQUENCE_LENGTH = 20_000;
const SOAK = process.argv.includes('--soak');
const SOAK_MINUTES = Number(process.env.SOAK_MINUTES ?? 5);
const SOAK_GROWTH_LIMIT = 0.1;
const PROFILE_DIR = '/tmp/prof-http';

const here = dirname(fileURLToPath(import.meta.url));

buildCrmApi();
const [postgres, redis] = await Promise.all([startBenchPostgres(), startRedis()]);
const database = await createTestDatabase({ url: postgres.url, prefix: 'bench_http' });
const owner = new pg.Client({ connectionString: database.url, application_name: 'bench' });
await owner.connect();
const servers: { stop(): Promise<void> }[] = [];
const baselineRole = `bench_baseline_${randomBytes(4).toString('hex')}`;
let exitCode = 0;
/** When ours was under timed load (the CPU profile counts these only). */
const profiled: [number, number][] = [];

try {
  const passwords = { app: randomBytes(12).toString('hex'), system: randomBytes(12).toString('hex'), baseline: randomBytes(12).toString('hex') };
  migrate(database.url, passwords);
  // The baseline's role sees every row (it filters by hand) and writes its audit rows into a
  // table with audit_log's columns, defaults and indexes.
  await owner.query(`CREATE ROLE ${baselineRole} LOGIN BYPASSRLS PASSWORD '${passwords.baseline}'`);
  await owner.query('CREATE TABLE baseline_audit_log (LIKE audit_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)');
  await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${baselineRole}`);

  const oursEnv: Record<string, string> = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    DATABASE_URL: asRole(database.url, 'crm_app', passwords.app),
    SYSTEM_DATABASE_URL: asRole(database.url, 'crm_system', passwords.system),
    REDIS_URL: redis.url,
    QUEUE_PREFIX: `bench-http-${randomBytes(4).toString('hex')}`,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    // Long enough for a soak; the app's default is 15 minutes.
    ACCESS_TOKEN_TTL_SECONDS: '3600',
    LOG_LEVEL: 'info',
    // No cache (pnpm bench cache measures it), and no rate limit a load test would hit (they
    // still count every request in Redis).
    CACHE_ENABLED: 'false',
    RATE_LIMIT_WORKSPACE_PER_MINUTE: '1000000000',
    RATE_LIMIT_USER_PER_MINUTE: '1000000000',
    ...(process.env.OURS_ENV ? (JSON.parse(process.env.OURS_ENV) as Record<string, string>) : {}),
  };
  const poolSize = oursEnv.DATABASE_POOL_SIZE ?? '10'; // the example's default
  const ours = await startServerProcess(
    'crm-api',
    [...(process.env.PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []), join(crmApi, 'dist', 'main.js')],
    oursEnv,
    { cwd: crmApi },
  );
  servers.push(ours);
  const { HOST: _host, ...workerEnv } = oursEnv;
  const worker = await startWorkerProcess(join(crmApi, 'dist', 'worker.js'), workerEnv, crmApi);
  servers.push(worker);
  const baselineEnv = { DATABASE_URL: asRole(database.url, baselineRole, passwords.baseline), DATABASE_POOL_SIZE: poolSize };
  const baseline = await startServerProcess('baseline', ['--import', 'tsx', join(here, 'lib', 'http-baseline-server.ts')], baselineEnv, { cwd: here });
  servers.push(baseline);

  console.log('ours (crm-api dist/main.js, and dist/worker.js with the same variables but HOST) runs with:');
  for (const [name, value] of Object.entries(oursEnv)) console.log(`  ${name}=${/SECRET|_URL$/.test(name) ? mask(value) : value}`);
  console.log(`  (and the example's defaults for the rest: DATABASE_POOL_SIZE=${poolSize}, system pool 4, audit writer pool 2 per process, AUDIT_CHAIN=true)`);
  console.log(`baseline runs with: DATABASE_POOL_SIZE=${poolSize} (one pool for requests and audit rows)`);

  const data = await seedMix(ours.url, database.url);
  const cursors = await secondPageCursors(ours.url, data);
  const sequence = operationSequence(data.users, SEQUENCE_LENGTH);
  const runners: Record<Side, MixRunner> = {
    ours: new MixRunner('ours', data, sequence, cursors),
    baseline: new MixRunner('baseline', data, sequence, cursors),
  };
  const urls: Record<Side, string> = { ours: ours.url, baseline: baseline.url };
  const pids = { ours: ours.pid, baseline: baseline.pid, worker: worker.pid };
  console.log(
    `${data.users.length} users in ${data.workspaces.length} workspaces; mix: ${Object.entries(MIX)
      .map(([kind, share]) => `${kind} ${share}%`)
      .join(', ')}`,
  );

  await assertSameAnswers(runners, urls);
  await countStatements(runners, urls);

  if (SOAK) {
    exitCode = await soak(runners.ours, ours.url, pids);
  } else {
    for (const side of SIDES) {
      const audits = await auditRows(side);
      await load(runners[side], urls[side], WARMUP_SECONDS);
      await checkAuditRows(side, audits, mutationsOk(runners[side].takeTally()));
    }
    const rps = { ours: [] as number[], baseline: [] as number[] };
    const p50 = { ours: [] as number[], baseline: [] as number[] };
    const p99 = { ours: [] as number[], baseline: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      const order: Side[] = round % 2 === 0 ? ['ours', 'baseline'] : ['baseline', 'ours'];
      const line: string[] = [];
      for (const side of order) {
        const audits = await auditRows(side);
        const started = monotonicMicros();
        const result = await load(runners[side], urls[side], ROUND_SECONDS);
        if (side === 'ours') profiled.push([started, monotonicMicros()]);
        await checkAuditRows(side, audits, mutationsOk(runners[side].takeTally()));
        rps[side].push(result.requests.average);
        p50[side].push(result.latency.p50);
        p99[side].push(result.latency.p99);
        const memory =
          side === 'ours'
            ? `API RSS ${rssMb(pids.ours).toFixed(0)} MB, worker ${rssMb(pids.worker).toFixed(0)} MB`
            : `RSS ${rssMb(pids.baseline).toFixed(0)} MB`;
        line.push(`${side} ${result.requests.average.toFixed(0)} req/s p50 ${result.latency.p50} ms p99 ${result.latency.p99} ms, ${memory}`);
      }
      console.log(`round ${round + 1}: ${line.join(' | ')}`);
    }
    console.log(`${CONNECTIONS} connections, ${ROUNDS} rounds of ${ROUND_SECONDS} s per side, pages of ${PAGE}`);
    console.log(`medians: ours p50 ${median(p50.ours)} ms p99 ${median(p99.ours)} ms | baseline p50 ${median(p50.baseline)} ms p99 ${median(p99.baseline)} ms`);
    report('http-mix', median(rps.ours), median(rps.baseline), 'req/s', 'higher', rps);
    report('http-mix-p99', median(p99.ours), median(p99.baseline), 'ms', 'lower', p99);
  }
} finally {
  await owner.end().catch(() => undefined);
  await Promise.allSettled(servers.map((server) => server.stop()));
  await database.drop().catch(() => undefined);
  await dropRole(postgres.url, baselineRole);
  await Promise.allSettled([postgres.stop(), redis.stop()]);
  if (process.env.PROF) {
    console.log('CPU profile of our API process, top functions by self time:');
    for (const line of profileTop(PROFILE_DIR, profiled)) console.log(line);
  }
}
process.exit(exitCode);

// ---------------------------------------------------------------------------------------------

async function load(runner: MixRunner, url: string, seconds: number): Promise<autocannon.Result> {
  const unmatched: string[] = [];
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        setupRequest: (request, context) => {
          const next = runner.next();
          (context as { request?: MixRequest }).request = next;
          return { ...request, method: next.method, path: next.path, headers: next.headers, body: next.body ?? '' };
        },
        onResponse: (status, body, context) => {
          const request = (context as { request?: MixRequest }).request;
          if (request) runner.onResponse(request, status, body);
          else unmatched.push(`${status} ${String(body).slice(0, 200)}`);
        },
      },
    ],
  });
  // Requests cut off when the load stopped are still running on the server: let them finish
  // before reading which stage they left their deals in.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await resyncStages(runner);
  const failed = Object.entries(runner.tally.failed);
  if (result.errors || result.non2xx || result.timeouts || failed.length || runner.tally.starved || unmatched.length) {
    const codes = Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => `${code}: ${count}`);
    throw new Error(
      `${runner.side}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts, ${runner.tally.starved} deletes without a deal; status codes ${codes.join(', ')}\n` +
        [
          ...failed.map(([kind, { count, sample }]) => `  ${kind}: ${count} failed, e.g. ${sample}`),
          ...unmatched.map((answer) => `  an answer to no known request: ${answer}`),
        ].join('\n'),
    );
  }
  return result;
}

/** Requests cut off at the end of a load may have moved a deal: take the stages from the database. */
async function resyncStages(runner: MixRunner): Promise<void> {
  const { rows } = await owner.query<{ id: string; stage: string }>('SELECT id, stage FROM deals WHERE id = ANY($1)', [runner.stageDeals]);
  runner.setStages(rows);
}

/** One request, waited for, through the side's runner (so its state follows). */
async function send(runner: MixRunner, url: string, request: MixRequest): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}${request.path}`, { method: request.method, headers: request.headers, body: request.body });
  const body = await response.text();
  runner.onResponse(request, response.status, body);
  return { status: response.status, body };
}

/** The first request of every kind, on both sides: the same status and the same ids, totals, cursors and counts. */
async function assertSameAnswers(runners: Record<Side, MixRunner>, urls: Record<Side, string>): Promise<void> {
  for (const kind of Object.keys(MIX) as OperationKind[]) {
    const answers = {} as Record<Side, string>;
    for (const side of SIDES) {
      const { status, body } = await send(runners[side], urls[side], runners[side].sample(kind));
      answers[side] = `${status} ${digest(kind, body)}`;
      if (status >= 300) throw new Error(`${side}: ${kind} answered ${status}: ${body.slice(0, 500)}`);
    }
    if (answers.ours !== answers.baseline)
      throw new Error(`${kind}: ours and the baseline answer differently:\n  ours:     ${answers.ours}\n  baseline: ${answers.baseline}`);
    console.log(`same answer from both: ${kind} -> ${answers.ours.slice(0, 110)}${answers.ours.length > 110 ? '...' : ''}`);
  }
  for (const side of SIDES) runners[side].takeTally();
}

/** What must match between the sides: ids, totals, cursors and counts (mutations touch each side's own deals, so their fields). */
function digest(kind: OperationKind, body: string): string {
  if (!body) return '(empty)';
  const json = JSON.parse(body) as Record<string, unknown> & { items?: { id: string }[] };
  const id = (value: unknown) => (value as { id?: string } | null)?.id;
  if (json.items) return `ids=${json.items.map((item) => item.id.slice(0, 8)).join(',')} total=${json.total as number} next=${json.next_cursor as string}`;
  switch (kind) {
    case 'GET /deals/:id':
      return `id=${json.id as string} stage=${json.stage as string} company=${id(json.company)} owner=${id(json.owner)} amount=${json.amount as number}`;
    case 'GET /companies/:id':
      return `id=${json.id as string} contacts=${json.contacts_count as number} open_deals=${json.open_deals_count as number} owner=${id(json.owner)}`;
    case 'POST /deals':
      return `title=${json.title as string} amount=${json.amount as number} company=${id(json.company)} stage=${json.stage as string}`;
    case 'PATCH /deals/:id':
      return `title=${json.title as string} amount=${json.amount as number}`;
    case 'POST /deals/:id/stage':
      return `stage=${json.stage as string}`;
    default:
      return body;
  }
}

function mutationsOk(tally: Tally): number {
  return MUTATIONS.reduce((sum, kind) => sum + (tally.ok[kind] ?? 0), 0);
}

async function auditRows(side: Side): Promise<number> {
  const table = side === 'ours' ? 'audit_log' : 'baseline_audit_log';
  const { rows } = await owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE status = 'Success' AND subject = 'Deal'`);
  return rows[0]!.n;
}

/**
 * Audit rows written since `before`: at least one per 2xx mutation, and at most `slack` more (requests
 * a load cut off at its end). Ours: waits (up to 120 s) for the worker to write what is queued,
 * so its writes never fall into the next load.
 */
async function checkAuditRows(side: Side, before: number, mutations: number, slack = CONNECTIONS): Promise<void> {
  const deadline = Date.now() + 120_000;
  let written = (await auditRows(side)) - before;
  for (let stable = 0; side === 'ours' && stable < 3 && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = (await auditRows(side)) - before;
    stable = now >= mutations && now === written ? stable + 1 : 0;
    written = now;
  }
  if (written < mutations || written > mutations + slack) {
    throw new Error(`${side}: ${written} audit rows for ${mutations} mutations answered 2xx (expected ${mutations}${slack ? ` to ${mutations + slack}` : ''})`);
  }
}

/** Statements per request of each side, counted by PostgreSQL (pg_stat_statements) over STATEMENT_SAMPLE requests of the mix sent one by one. */
async function countStatements(runners: Record<Side, MixRunner>, urls: Record<Side, string>): Promise<void> {
  const counter = await StatementCounter.open(database.url);
  const redisStats = new Redis(redis.url, { lazyConnect: false });
  if (!counter) console.log('statements per request: not counted (this PostgreSQL has not loaded pg_stat_statements)');
  try {
    for (const side of SIDES) {
      const before = await auditRows(side);
      await counter?.reset();
      await redisStats.config('RESETSTAT');
      for (let i = 0; i < STATEMENT_SAMPLE; i++) {
        const { status, body } = await send(runners[side], urls[side], runners[side].next());
        if (status >= 300) throw new Error(`${side}: ${status} ${body.slice(0, 300)}`);
      }
      const mutations = mutationsOk(runners[side].takeTally());
      await checkAuditRows(side, before, mutations, 0);
      console.log(`${side}: ${mutations} mutations in ${STATEMENT_SAMPLE} requests, ${mutations} audit rows`);
      if (counter) printStatements(side, await counter.read(), mutations);
      printRedisCommands(side, await redisStats.info('commandstats'));
    }
  } finally {
    await counter?.close();
    redisStats.disconnect();
  }
}

/** Redis commands per request (INFO commandstats): the rate limits, the audit queue, and the worker's BullMQ polling, which runs whatever the load. */
function printRedisCommands(side: Side, info: string): void {
  const commands = [...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)]
    .map(([, name, calls]) => ({ name: name!, calls: Number(calls) }))
    .filter(({ name }) => !/^(info|config)/.test(name))
    .sort((a, b) => b.calls - a.calls);
  const total = commands.reduce((sum, { calls }) => sum + calls, 0);
  const top = commands.slice(0, 12).map(({ name, calls }) => `${name} ${(calls / STATEMENT_SAMPLE).toFixed(2)}`);
  if (side === 'baseline') return console.log(`baseline: no Redis (meanwhile our idle worker sent ${total} commands: ${top.join(', ')})`);
  console.log(
    `${side}: ${(total / STATEMENT_SAMPLE).toFixed(2)} Redis commands per request, API and worker together, those run inside Lua scripts (evalsha) included: ${top.join(', ')}`,
  );
}

function printStatements(side: Side, counts: StatementCount[], mutations: number): void {
  const per = (list: StatementCount[]) => list.reduce((sum, count) => sum + count.calls, 0) / STATEMENT_SAMPLE;
  if (side === 'baseline') {
    const mine = counts.filter((count) => count.role === baselineRole);
    console.log(`baseline: ${per(mine).toFixed(2)} statements per request (audit rows inline)`);
    for (const count of mine.slice(0, 12)) console.log(`  ${(count.calls / STATEMENT_SAMPLE).toFixed(3).padStart(6)}  ${count.query.slice(0, 150)}`);
    return;
  }
  // The worker's audit writer uses crm_system, as the API's identity lookups do: its statements
  // are the transactions, locks and audit tables.
  const writer = (count: StatementCount) => count.role === 'crm_system' && /audit|^(begin|commit|rollback)|pg_advisory/i.test(count.query);
  const mine = counts.filter((count) => count.role === 'crm_app' || count.role === 'crm_system');
  const [api, audit] = [mine.filter((count) => !writer(count)), mine.filter(writer)];
  console.log(
    `ours: ${per(mine).toFixed(2)} statements per request: API process ${per(api).toFixed(2)}, worker's audit writer ${per(audit).toFixed(2)} ` +
      `(${((per(audit) * STATEMENT_SAMPLE) / Math.max(mutations, 1)).toFixed(2)} per mutation, with requests sent one at a time)`,
  );
  for (const count of mine.slice(0, 14)) {
    console.log(
      `  ${(count.calls / STATEMENT_SAMPLE).toFixed(3).padStart(6)}  ${writer(count) ? 'worker' : 'API   '} ${count.role.padEnd(10)}  ${count.query.slice(0, 140)}`,
    );
  }
}

/** Loads ours alone for SOAK_MINUTES, a minute at a time, and checks RSS stops growing after the first minute. */
async function soak(runner: MixRunner, url: string, pids: { ours: number; worker: number }): Promise<number> {
  const samples = { api: [] as number[], worker: [] as number[] };
  const before = await auditRows('ours');
  let mutations = 0;
  for (let minute = 1; minute <= SOAK_MINUTES; minute++) {
    const started = monotonicMicros();
    const result = await load(runner, url, 60);
    profiled.push([started, monotonicMicros()]);
    mutations += mutationsOk(runner.takeTally());
    samples.api.push(rssMb(pids.ours));
    samples.worker.push(rssMb(pids.worker));
    console.log(
      `soak minute ${minute}: ${result.requests.average.toFixed(0)} req/s p99 ${result.latency.p99} ms, API RSS ${samples.api.at(-1)!.toFixed(0)} MB, worker RSS ${samples.worker.at(-1)!.toFixed(0)} MB`,
    );
  }
  await checkAuditRows('ours', before, mutations, CONNECTIONS * SOAK_MINUTES);
  let failed = false;
  for (const [name, values] of Object.entries(samples)) {
    if (values.length < 3) {
      console.log(`SOAK ${name}: too short to judge (SOAK_MINUTES=${SOAK_MINUTES}, needs 3 or more)`);
      continue;
    }
    const growth = values.at(-1)! / values[1]! - 1;
    const verdict = growth > SOAK_GROWTH_LIMIT ? 'FAIL' : 'ok';
    failed ||= verdict === 'FAIL';
    console.log(
      `SOAK ${name}_rss_mb minute2=${values[1]!.toFixed(0)} last=${values.at(-1)!.toFixed(0)} growth=${(100 * growth).toFixed(1)}% limit=${100 * SOAK_GROWTH_LIMIT}% ${verdict}`,
    );
  }
  return failed ? 1 : 0;
}

/** The cursor of each workspace's second page of GET /deals?limit=PAGE (from ours; the baseline encodes cursors alike). */
async function secondPageCursors(url: string, data: MixData): Promise<string[]> {
  return Promise.all(
    data.workspaces.map(async (_, w) => {
      const admin = data.users.find((user) => user.workspace === w && user.role === 'Admin')!;
      const response = await fetch(`${url}/deals?limit=${PAGE}`, { headers: { authorization: `Bearer ${admin.accessToken}` } });
      const page = (await response.json()) as { next_cursor: string | null };
      if (!page.next_cursor) throw new Error(`workspace ${w}: no second page of deals`);
      return page.next_cursor;
    }),
  );
}

function mask(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '***';
  }
}

async function dropRole(serverUrl: string, role: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect().catch(() => undefined);
  await client.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  await client.end().catch(() => undefined);
}
