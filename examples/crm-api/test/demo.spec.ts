import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, getTestServerUrl } from '@acme/nest-testing';
import { AuditPage } from '@acme-examples/crm-contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const launcher = fileURLToPath(new URL('../scripts/demo.mjs', import.meta.url));

// `pnpm demo`, the README's "run" command, as a user runs it: the launcher, embedded PostgreSQL,
// the API and the worker, the requests the banner prints, then Ctrl-C.
describe('pnpm demo', () => {
  let demo: ChildProcess;
  let output = '';
  let base: string;
  const printed = (text: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (output.includes(text)) done(resolve);
        else if (demo.exitCode !== null) done(() => reject(new Error(`the demo exited (${demo.exitCode}) before printing "${text}":\n${output}`)));
      }, 100);
      const deadline = setTimeout(() => done(() => reject(new Error(`no "${text}" after ${timeoutMs} ms:\n${output}`))), timeoutMs);
      const done = (then: () => void) => {
        clearInterval(timer);
        clearTimeout(deadline);
        then();
      };
    });

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // The run's Redis (the demo would start a redis-server of its own otherwise); PostgreSQL stays embedded.
    demo = spawn(process.execPath, [launcher], {
      env: { ...process.env, PORT: String(port), REDIS_URL: await getTestServerUrl('redis'), DEMO_DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo.stdout!.on('data', (chunk) => (output += chunk));
    demo.stderr!.on('data', (chunk) => (output += chunk));
    await printed('CRM demo is running.', 120_000);
  }, 130_000);
  afterAll(() => {
    if (demo?.exitCode === null) demo.kill('SIGKILL');
  });

  it('serves what the banner says: sign in, own companies, another workspace 404, the audit trail', async () => {
    expect(output).toContain('[demo] PostgreSQL: embedded PostgreSQL 17');
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ada@northwind.test', password: 'demo-password-2026' }),
    });
    expect(login.status).toBe(200);
    const auth = { authorization: `Bearer ${((await login.json()) as { access_token: string }).access_token}` };

    const companies = await fetch(`${base}/companies`, { headers: auth });
    expect(companies.status).toBe(200);
    expect(((await companies.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);

    // Step 3 of the banner: a Globex company with the Northwind token.
    const foreign = /companies\/([0-9a-f-]{36}) -H "authorization: Bearer \$TOKEN"/.exec(output)?.[1];
    expect(foreign, 'the banner names a Globex company').toBeDefined();
    expect((await fetch(`${base}/companies/${foreign}`, { headers: auth })).status).toBe(404);

    // Step 5: create a deal, then the audit trail holds this session's own actions (written by the
    // worker's audit writer, so it is read until they arrive).
    const northwindCompany = /"company_id":"([0-9a-f-]{36})"/.exec(output)?.[1];
    expect(northwindCompany, 'the banner names a Northwind company').toBeDefined();
    const deal = await fetch(`${base}/deals`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ company_id: northwindCompany, title: 'Demo upsell', amount: 25000 }),
    });
    expect(deal.status).toBe(201);
    const dealId = ((await deal.json()) as { id: string }).id;
    const wanted = [
      { action: 'Sign In', subject: 'User', status: 'Success', request_id: login.headers.get('x-request-id') },
      { action: 'Create', subject: 'Deal', status: 'Success', subject_id: dealId, request_id: deal.headers.get('x-request-id') },
    ];
    const deadline = Date.now() + 30_000;
    let trail: AuditPage = { items: [], next_cursor: null };
    for (;;) {
      const response = await fetch(`${base}/audit?limit=100`, { headers: auth });
      expect(response.status).toBe(200);
      trail = AuditPage.parse(await response.json());
      const found = wanted.filter((entry) =>
        trail.items.some((item) => Object.entries(entry).every(([key, value]) => item[key as keyof typeof item] === value)),
      );
      if (found.length === wanted.length || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(trail.items).toEqual(expect.arrayContaining(wanted.map((entry) => expect.objectContaining(entry))));
    const own = trail.items.filter((item) => item.request_id === wanted[0]!.request_id || item.request_id === wanted[1]!.request_id);
    expect(own.map((item) => item.summary).sort()).toEqual(['Ada Lovelace: Create Deal', 'Ada Lovelace: Sign In User']);
  });

  it('Ctrl-C stops the API, the worker and the servers, and exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    demo.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('[demo] PostgreSQL and Redis stopped');
    expect(output).toContain('[demo] stopped.');
  }, 60_000);
});
