import { randomBytes } from 'node:crypto';
import { createRedisNamespace, createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../src/database/migrate-database';
import { seedDemo } from '../src/database/seed';
import { DEMO_PASSWORD } from '../src/database/seed-data';
import { maintenance, staleDeals } from '../src/jobs/queues';
import { settledEntriesOf } from './support/audit-settled';
import { startReplicaStack, type ApiReplica, type ReplicaStack } from './support/replica-stack';
import { TEST_PASSWORDS } from './support/test-app';

/** A response as the tests read it, with the request id the API answered with. */
interface Reply {
  status: number;
  body: Record<string, unknown> & { id?: string; code?: string; access_token?: string };
  requestId: string;
  api: string;
}

/** The audit entry a request must leave, exactly once. */
interface ExpectedEntry {
  requestId: string;
  api: string;
  action: string;
  subject: string;
  status: 'Success' | 'Failure';
}

/**
 * Past one machine: two API processes and two worker processes of the built example on one
 * PostgreSQL database and one Redis, traffic sent to both APIs in turn. Crons fire once per slot,
 * every audited request has exactly one entry, a job that always fails is dead-lettered once, and
 * a role change or a removal made through one API applies on the other at the member's next request.
 */
describe('two APIs and two workers on one PostgreSQL and one Redis', () => {
  let database: TestDatabase;
  let owner: pg.Client;
  let stack: ReplicaStack;
  let northwindId: string;
  let api1: ApiReplica;
  let api2: ApiReplica;
  const tokens: Record<string, string> = {};
  const expected: ExpectedEntry[] = [];
  let turn = 0;

  /** One HTTP call to `api` (or to the APIs in turn). */
  const call = async (api: ApiReplica | 'next', method: string, path: string, options: { as?: string; body?: unknown } = {}): Promise<Reply> => {
    const target = api === 'next' ? stack.apis[turn++ % stack.apis.length]! : api;
    const response = await fetch(`${target.url}${path}`, {
      method,
      headers: {
        ...(options.as ? { authorization: `Bearer ${tokens[options.as]}` } : {}),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : {}, requestId: response.headers.get('x-request-id')!, api: target.name };
  };
  /** Asserts the status, and records the audit entry the request must leave. */
  const audited = (reply: Reply, status: number, action: string, subject: string): Reply => {
    expect(reply.status, `${reply.api} ${action} ${subject}: ${JSON.stringify(reply.body)}`).toBe(status);
    expected.push({ requestId: reply.requestId, api: reply.api, action, subject, status: status < 400 ? 'Success' : 'Failure' });
    return reply;
  };
  const signIn = async (api: ApiReplica | 'next', email: string, password = DEMO_PASSWORD) =>
    audited(await call(api, 'POST', '/auth/login', { body: { email, password, workspace_id: northwindId } }), 200, 'Sign In', 'User').body.access_token!;
  /** A new account (its own workspace), signed up through the next API. */
  const signUp = async () => {
    const email = `replica-${randomBytes(6).toString('hex')}@x.test`;
    const password = `Rp-${randomBytes(12).toString('base64url')}`;
    audited(
      await call('next', 'POST', '/auth/register', { body: { email, password, name: 'Rae Plica', workspace_name: 'Replica Labs' } }),
      201,
      'Register',
      'User',
    );
    return { email, password };
  };
  const memberIdOf = async (email: string) => {
    const members = (await call('next', 'GET', '/members?limit=100', { as: 'admin' })).body.items as { id: string; user: { email: string } }[];
    return members.find((m) => m.user.email === email)!.id;
  };

  /** No audit batch waiting or being written (the periodic 'task:*' jobs stay delayed in that queue). */
  const auditQueueDrained = async () => {
    const queue = new Queue('audit-write', { connection: { url: stack.env.REDIS_URL! }, prefix: stack.env.QUEUE_PREFIX! });
    try {
      await until(
        async () => (await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized'])).every((job) => !job || job.name !== 'batch'),
        'the audit queue to have no batch left',
      );
    } finally {
      await queue.close();
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'crmreplicas' });
    await migrateDatabase({ ownerUrl: database.url, passwords: TEST_PASSWORDS });
    const seed = await seedDemo(database.url, { argon2MemoryKib: 1024 });
    northwindId = seed.workspaces.find((w) => w.slug === 'northwind')!.id;
    owner = new pg.Client({ connectionString: database.url });
    await owner.connect();
    const redis = await createRedisNamespace({ prefix: 'crmreplicas' });
    stack = await startReplicaStack({
      ownerUrl: database.url,
      redis,
      apis: 2,
      workers: 2,
      // Each API keeps memberships (and abilities) for a minute, far longer than this file runs:
      // only the invalidation one replica sends the others can make a change visible on the next request.
      env: { MEMBERSHIP_CACHE_TTL_SECONDS: '60' },
    });
    [api1, api2] = stack.apis as [ApiReplica, ApiReplica];
    for (const [persona, email] of Object.entries({
      admin: 'ada@northwind.test',
      operator: 'grace@northwind.test',
      pipeline: 'linus@northwind.test',
      viewer: 'mary@northwind.test',
    })) {
      tokens[persona] = await signIn('next', email);
    }
    // Minutes when the packages' dist must be rebuilt first on a busy machine; seconds otherwise.
  }, 300_000);
  afterAll(async () => {
    await stack?.close();
    await owner?.end();
    await database?.drop();
  });

  it('companies, deals and members created, changed and deleted through both APIs in turn', async () => {
    const users = await Promise.all([signUp(), signUp()]);
    // Four chains at once, each step through the next API.
    await Promise.all(
      [0, 1, 2, 3].map(async (chain) => {
        const company = audited(
          await call('next', 'POST', '/companies', { as: 'admin', body: { name: `Replica ${chain}`, industry: 'Retail', size_range: '1-10' } }),
          201,
          'Create',
          'Company',
        ).body.id!;
        audited(await call('next', 'PATCH', `/companies/${company}`, { as: 'operator', body: { name: `Replica ${chain} GmbH` } }), 200, 'Update', 'Company');
        const deal = audited(
          await call('next', 'POST', '/deals', { as: 'pipeline', body: { company_id: company, title: `Replica deal ${chain}`, amount: 1000 + chain } }),
          201,
          'Create',
          'Deal',
        ).body.id!;
        audited(await call('next', 'PATCH', `/deals/${deal}`, { as: 'admin', body: { amount: 2000 + chain } }), 200, 'Update', 'Deal');
        audited(await call('next', 'POST', `/deals/${deal}/stage`, { as: 'pipeline', body: { stage: 'Qualified' } }), 200, 'Stage Change', 'Deal');
        // A Viewer may not create: refused, and audited as a Failure.
        audited(
          await call('next', 'POST', '/companies', { as: 'viewer', body: { name: 'Not allowed', industry: 'Retail', size_range: '1-10' } }),
          403,
          'Create',
          'Company',
        );
        audited(await call('next', 'DELETE', `/deals/${deal}`, { as: 'admin' }), 204, 'Delete', 'Deal');
        audited(await call('next', 'DELETE', `/companies/${company}`, { as: 'admin' }), 204, 'Delete', 'Company');
      }),
    );
    for (const user of users) {
      const member = audited(await call('next', 'POST', '/members', { as: 'admin', body: { email: user.email, role: 'Viewer' } }), 201, 'Create', 'Member').body
        .id!;
      audited(await call('next', 'PATCH', `/members/${member}`, { as: 'admin', body: { role: 'Pipeline' } }), 200, 'Update', 'Member');
      audited(await call('next', 'DELETE', `/members/${member}`, { as: 'admin' }), 204, 'Delete', 'Member');
    }
    expect(new Set(expected.map((e) => e.api))).toEqual(new Set([api1.name, api2.name]));
  });

  it("a role changed through API 1 applies to the member's next request through API 2, both ways", async () => {
    const viewer = await memberIdOf('mary@northwind.test');
    const create = () => call(api2, 'POST', '/companies', { as: 'viewer', body: { name: 'By the viewer', industry: 'Retail', size_range: '1-10' } });
    // API 2 has seen the Viewer (membership, role and ability) before the change.
    expect((await call(api2, 'GET', '/companies', { as: 'viewer' })).status).toBe(200);
    audited(await create(), 403, 'Create', 'Company');

    audited(await call(api1, 'PATCH', `/members/${viewer}`, { as: 'admin', body: { role: 'Operator' } }), 200, 'Update', 'Member');
    audited(await create(), 201, 'Create', 'Company');

    audited(await call(api1, 'PATCH', `/members/${viewer}`, { as: 'admin', body: { role: 'Viewer' } }), 200, 'Update', 'Member');
    audited(await create(), 403, 'Create', 'Company');
  });

  it('a member removed through API 1 is refused at their next request through API 2', async () => {
    const user = await signUp();
    audited(await call(api1, 'POST', '/members', { as: 'admin', body: { email: user.email, role: 'Operator' } }), 201, 'Create', 'Member');
    tokens.removed = await signIn(api2, user.email, user.password);
    expect((await call(api2, 'GET', '/companies', { as: 'removed' })).status).toBe(200);

    audited(await call(api1, 'DELETE', `/members/${await memberIdOf(user.email)}`, { as: 'admin' }), 204, 'Delete', 'Member');
    const read = await call(api2, 'GET', '/companies', { as: 'removed' });
    expect([read.status, read.body.code]).toEqual([404, 'WORKSPACE_NOT_FOUND']);
    const write = await call(api2, 'POST', '/companies', { as: 'removed', body: { name: 'After removal', industry: 'Retail', size_range: '1-10' } });
    expect([write.status, write.body.code]).toEqual([404, 'WORKSPACE_NOT_FOUND']);
  });

  it('a job that always fails is dead-lettered once, whichever worker ran its attempts', async () => {
    const connection = { url: stack.env.REDIS_URL! };
    const prefix = stack.env.QUEUE_PREFIX!;
    const queue = new Queue(staleDeals.name, { connection, prefix });
    const deadLetters = new Queue(staleDeals.deadLetterQueue!, { connection, prefix });
    try {
      // A stale-deal check enqueued outside any workspace: the processor refuses it on every attempt.
      const ids = ['always-fails-1', 'always-fails-2', 'always-fails-3', 'always-fails-4'];
      for (const jobId of ids) {
        await queue.add('check', { payload: { stale_after_days: 14 }, context: null }, { jobId, attempts: 3, backoff: { type: 'fixed', delay: 100 } });
      }
      const letters = async () => (await deadLetters.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'])).filter(Boolean);
      await until(async () => (await letters()).length >= ids.length, 'the dead letters');
      // Every job has failed for good by now; give a second write (from the other worker, or a retried event) time to show.
      await until(async () => (await Promise.all(ids.map((id) => queue.getJobState(id)))).every((state) => state === 'failed'), 'the jobs to fail');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const stored = (await letters()).map((letter) => letter.data as { jobId: string; attemptsMade: number; error: { message: string } });
      expect(stored.map((letter) => letter.jobId).sort()).toEqual(ids);
      for (const letter of stored) {
        expect(letter.attemptsMade).toBe(3);
        expect(letter.error.message).toContain('enqueued per workspace');
      }
    } finally {
      await Promise.all([queue.close(), deadLetters.close()]);
    }
  });

  it('a cron fires once per slot across both workers (the nightly check made to run every second)', async () => {
    const connection = { url: stack.env.REDIS_URL! };
    const prefix = stack.env.QUEUE_PREFIX!;
    const queue = new Queue(maintenance.name, { connection, prefix });
    const checks = new Queue(staleDeals.name, { connection, prefix });
    // Each run of the maintenance processor logs one line; a scheduler's job is `repeat:<key>:<slot time>`.
    const runs = () =>
      stack.workers.flatMap((worker) =>
        stack
          .logLines(worker)
          .filter((line) => line.msg === 'stale-deal check fanned out')
          .map((line) => ({ worker, requestId: line.requestId as string, workspaces: line.workspaces as number })),
      );
    try {
      // Both workers registered the cron at start: one scheduler, the code's nightly pattern.
      const schedulers = await queue.getJobSchedulers(0, -1);
      expect(schedulers.map(({ key, pattern, tz }) => ({ key, pattern, tz }))).toEqual([{ key: 'nightly-stale-deal-check', pattern: '0 2 * * *', tz: 'UTC' }]);
      const scheduler = schedulers[0]!;
      // The same scheduler and template, due every second instead of every night.
      const template = { name: scheduler.name, data: scheduler.template!.data, opts: scheduler.template!.opts };
      await queue.upsertJobScheduler(scheduler.key, { every: 1000 }, template);
      await until(async () => runs().length >= 6, 'six runs of the cron', 20_000);
      // Back to the nightly pattern (no further slot today), then wait for the runs in flight.
      await queue.upsertJobScheduler(scheduler.key, { pattern: scheduler.pattern!, tz: scheduler.tz! }, template);
      await until(async () => {
        // The maintenance queue keeps the next nightly run as a delayed job; a check's retry waits as one too.
        const [maintenanceJobs, checkJobs] = await Promise.all([
          queue.getJobCounts('waiting', 'active', 'prioritized'),
          checks.getJobCounts('waiting', 'active', 'prioritized', 'delayed'),
        ]);
        return [...Object.values(maintenanceJobs), ...Object.values(checkJobs)].every((n) => n === 0);
      }, 'the cron runs in flight');
    } finally {
      await Promise.all([queue.close(), checks.close()]);
    }

    const done = runs();
    const slotOf = (requestId: string) => Number(/^job:maintenance:repeat:nightly-stale-deal-check:(\d+)$/.exec(requestId)?.[1] ?? Number.NaN);
    const slots = done.map((run) => slotOf(run.requestId)).sort((a, b) => a - b);
    // One run per slot across both workers' logs: no slot twice. (A slot can be skipped, never doubled: a
    // scheduler that fell behind, on a loaded machine, resumes at the next slot rather than catching up.)
    expect(slots.every(Number.isFinite), JSON.stringify(done)).toBe(true);
    const gaps = slots.slice(1).map((slot, i) => slot - slots[i]!);
    expect(
      gaps.every((gap) => gap > 0 && gap % 1000 === 0),
      JSON.stringify(done),
    ).toBe(true);
    // One 'Flag Stale' entry per slot and workspace: the jobs a run fanned out ran once each. The
    // entries travel through the audit queue: wait for all of them, then for no batch left to write.
    const flagged = async () =>
      (
        await owner.query<{ request_id: string; n: number; workspaces: number }>(
          `SELECT request_id, count(*)::int AS n, count(DISTINCT workspace_id)::int AS workspaces FROM audit_log WHERE action = 'Flag Stale' AND request_id = ANY($1) GROUP BY request_id`,
          [done.map((run) => run.requestId)],
        )
      ).rows;
    const fannedOut = done.reduce((sum, run) => sum + run.workspaces, 0);
    await until(async () => (await flagged()).reduce((sum, slot) => sum + slot.n, 0) >= fannedOut, `${fannedOut} 'Flag Stale' entries`);
    await auditQueueDrained();
    const stored = await flagged();
    expect(stored.length).toBe(done.length);
    for (const slot of stored) {
      const run = done.find((r) => r.requestId === slot.request_id)!;
      expect([slot.n, slot.workspaces], slot.request_id).toEqual([run.workspaces, run.workspaces]);
    }
  });

  it('every audited request has exactly one entry in the trail', async () => {
    // Settled through each API: a marker request after its last one, and no audit batch left in the queue.
    for (const api of stack.apis) {
      const last = expected.filter((e) => e.api === api.name).at(-1)!;
      await settledEntriesOf({ server: api.url, env: stack.env, ownerUrl: database.url }, last.requestId);
    }
    const rows = (
      await owner.query<{ request_id: string; action: string; subject: string; status: string }>(
        'SELECT request_id, action, subject, status FROM audit_log WHERE request_id = ANY($1)',
        [expected.map((e) => e.requestId)],
      )
    ).rows;
    const byRequest = new Map<string, typeof rows>();
    for (const row of rows) byRequest.set(row.request_id, [...(byRequest.get(row.request_id) ?? []), row]);
    const wrong = expected
      .map((e) => ({ ...e, stored: (byRequest.get(e.requestId) ?? []).map((row) => `${row.action} ${row.subject} ${row.status}`) }))
      .filter((e) => e.stored.length !== 1 || e.stored[0] !== `${e.action} ${e.subject} ${e.status}`);
    expect(wrong).toEqual([]);
    // Sign-ins and the traffic test alone record 44.
    expect(expected.length).toBeGreaterThanOrEqual(44);
  });

  it('no process exited on its own', () => {
    expect(stack.unexpectedExits).toEqual([]);
  });
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
