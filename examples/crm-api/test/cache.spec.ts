import { bootstrapWorker, getProducerToken, type Producer } from '@acme/nest-queues';
import { CompanyView, DealView, MemberPage } from '@acme-examples/crm-contracts';
import type { NestExpressApplication } from '@nestjs/platform-express';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../src/http-app';
import { maintenance } from '../src/jobs/queues';
import { WorkerModule } from '../src/worker/worker.module';
import { startCrmFixture, type CrmFixture } from './support/fixture';
import { cacheHits, cacheMisses } from './support/metrics';

type Headers = { authorization: string };
type HttpServer = ReturnType<NestExpressApplication['getHttpServer']>;

let f: CrmFixture;
/** A second API instance on the same database and Redis: another replica. */
let replica: NestExpressApplication;
/** A second Viewer and a second Pipeline user of Northwind. */
let viewer2: Headers;
let pipeline2: Headers;

/** Registers a user and makes them a member of Northwind with `role`; their token for Northwind. */
async function northwindMember(email: string, role: 'Viewer' | 'Pipeline'): Promise<Headers> {
  await request(f.server)
    .post('/auth/register')
    .send({ email, password: 'a long enough passphrase 2026', name: email.split('@')[0], workspace_name: `${email} Co` })
    .expect(201);
  await request(f.server).post('/members').set(f.as('admin')).send({ email, role }).expect(201);
  const login = await request(f.server).post('/auth/login').send({ email, password: 'a long enough passphrase 2026', workspace_id: f.northwindId }).expect(200);
  return { authorization: `Bearer ${login.body.access_token}` };
}

beforeAll(async () => {
  f = await startCrmFixture();
  replica = await createHttpApp({ env: f.env, logger: false });
  await replica.init();
  viewer2 = await northwindMember('viewer-two@northwind.test', 'Viewer');
  pipeline2 = await northwindMember('pipeline-two@northwind.test', 'Pipeline');
});
afterAll(async () => {
  await replica?.close();
  await f?.close();
});

const read = async (path: string, headers: Headers, server: HttpServer = f.server) => {
  const response = await request(server).get(path).set(headers);
  expect(response.status, `GET ${path}`).toBe(200);
  return response.body;
};
const company = async (id: string, server?: HttpServer) => CompanyView.parse(await read(`/companies/${id}`, f.as('admin'), server));
const deal = async (id: string, server?: HttpServer) => DealView.parse(await read(`/deals/${id}`, f.as('admin'), server));
const listIds = async (path: string, server?: HttpServer) => ((await read(path, f.as('admin'), server)).items as { id: string }[]).map((i) => i.id);
/** Reads twice, so the second answer is the cache's: what a mutation must make stale. */
const warm = async (paths: string[], server: HttpServer = f.server) => {
  for (const path of paths) for (let i = 0; i < 2; i++) await read(path, f.as('admin'), server);
};
const send = async (method: 'post' | 'patch' | 'delete', path: string, body?: object, server: HttpServer = f.server) => {
  const call = request(server)[method](path).set(f.as('admin'));
  const response = body ? await call.send(body) : await call;
  expect(response.status, `${method.toUpperCase()} ${path}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
  return response.body;
};
async function newCompany(name: string) {
  return CompanyView.parse(await send('post', '/companies', { name, industry: 'Software', size_range: '1-10' }));
}
async function newContact(companyId: string, first: string) {
  return send('post', '/contacts', { company_id: companyId, first_name: first, last_name: 'Cached', email: `${first.toLowerCase()}@cached.test` }) as Promise<{
    id: string;
  }>;
}
async function newDeal(companyId: string, title: string, amount: number, contactId: string | null = null) {
  return DealView.parse(await send('post', '/deals', { company_id: companyId, title, amount, primary_contact_id: contactId }));
}

describe('cache keys follow permissions', () => {
  it('a Viewer is never served a list cached for an Admin; two Viewers share one entry', async () => {
    for (const path of ['/deals?limit=99', '/companies?limit=99']) {
      const subject = path.startsWith('/deals') ? 'Deal' : 'Company';
      await read(path, f.as('admin'));
      let hits = await cacheHits(f.server, subject);
      await read(path, f.as('admin'));
      expect(await cacheHits(f.server, subject), `${path}: the Admin's second read`).toBe(hits + 1);

      hits = await cacheHits(f.server, subject);
      const misses = await cacheMisses(f.server, subject);
      await read(path, f.as('viewer'));
      expect(await cacheHits(f.server, subject), `${path}: a Viewer after the Admin`).toBe(hits);
      expect(await cacheMisses(f.server, subject)).toBe(misses + 1);

      await read(path, viewer2);
      expect(await cacheHits(f.server, subject), `${path}: a second Viewer shares the first's entry`).toBe(hits + 1);
    }
  });

  it('two Pipeline users never share a deal entry (their rules name each of them); each reuses their own', async () => {
    const [dealId] = await listIds('/deals?limit=1');
    const path = `/deals/${dealId}`;
    const hits = await cacheHits(f.server, 'Deal');
    await read(path, f.as('pipeline'));
    await read(path, pipeline2);
    expect(await cacheHits(f.server, 'Deal'), 'the second Pipeline user missed').toBe(hits);
    await read(path, pipeline2);
    await read(path, f.as('pipeline'));
    expect(await cacheHits(f.server, 'Deal'), 'each one’s own entry').toBe(hits + 2);
  });
});

describe('every audited write a read depends on is visible on the next read', () => {
  it('company create, update and delete (Company)', async () => {
    await warm(['/companies?limit=100', '/deals?limit=100']);
    const created = await newCompany('Cache Create Co');
    expect(await listIds('/companies?limit=100')).toContain(created.id);

    const contact = await newContact(created.id, 'Ulla');
    const { id: dealId } = await newDeal(created.id, 'Cache deal', 1_000, contact.id);
    await warm([`/companies/${created.id}`, `/deals/${dealId}`, '/companies?limit=100', '/deals?limit=100']);
    await send('patch', `/companies/${created.id}`, { name: 'Cache Renamed Co' });
    expect((await company(created.id)).name).toBe('Cache Renamed Co');
    expect((await deal(dealId)).company.name, 'a deal shows its company').toBe('Cache Renamed Co');
    const listed = (await read('/deals?limit=100', f.as('admin'))).items.find((d: { id: string }) => d.id === dealId);
    expect(listed.company.name).toBe('Cache Renamed Co');

    const doomed = await newCompany('Cache Doomed Co');
    await warm([`/companies/${doomed.id}`, '/companies?limit=100']);
    await send('delete', `/companies/${doomed.id}`);
    expect((await request(f.server).get(`/companies/${doomed.id}`).set(f.as('admin'))).status).toBe(404);
    expect(await listIds('/companies?limit=100')).not.toContain(doomed.id);
  });

  it('contact create and update (Contact): company counts, a deal’s primary contact', async () => {
    const target = await newCompany('Cache Contacts Co');
    const first = await newContact(target.id, 'Petra');
    const { id: dealId } = await newDeal(target.id, 'Contact deal', 500, first.id);
    await warm([`/companies/${target.id}`, `/deals/${dealId}`]);
    expect((await company(target.id)).contacts_count).toBe(1);

    await newContact(target.id, 'Quentin');
    expect((await company(target.id)).contacts_count).toBe(2);

    await send('patch', `/contacts/${first.id}`, { first_name: 'Paula' });
    const primary = (await deal(dealId)).primary_contact;
    expect(primary.kind === 'Contact' && primary.contact.full_name).toBe('Paula Cached');
  });

  it('deal create, update, stage change and delete (Deal): the deal, its lists and its company’s pipeline and last activity', async () => {
    const target = await newCompany('Cache Deals Co');
    await warm([`/companies/${target.id}`, `/deals?company_id=${target.id}`, '/deals?limit=100']);

    const created = await newDeal(target.id, 'Pipeline deal', 2_000);
    expect(await listIds(`/deals?company_id=${target.id}`)).toEqual([created.id]);
    expect(await listIds('/deals?limit=100')).toContain(created.id);
    let view = await company(target.id);
    expect([view.open_deals_count, view.open_pipeline.amount]).toEqual([1, 2_000]);

    await warm([`/deals/${created.id}`, `/companies/${target.id}`]);
    await send('patch', `/deals/${created.id}`, { title: 'Bigger deal', amount: 5_000 });
    expect((await deal(created.id)).title).toBe('Bigger deal');
    expect((await company(target.id)).open_pipeline.amount).toBe(5_000);

    await warm([`/deals/${created.id}`, `/companies/${target.id}`]);
    const next = created.next_stages[0]!;
    await send('post', `/deals/${created.id}/stage`, { stage: next, note: 'cache check' });
    expect((await deal(created.id)).stage).toBe(next);
    view = await company(target.id);
    expect(view.last_activity.kind === 'None' ? null : view.last_activity.label).toContain('cache check');

    await send('post', `/deals/${created.id}/stage`, { stage: 'Lost', note: null });
    view = await company(target.id);
    expect([view.open_deals_count, view.open_pipeline.amount], 'a lost deal leaves the open pipeline').toEqual([0, 0]);

    await warm([`/deals/${created.id}`, `/deals?company_id=${target.id}`]);
    await send('delete', `/deals/${created.id}`);
    expect((await request(f.server).get(`/deals/${created.id}`).set(f.as('admin'))).status).toBe(404);
    expect(await listIds(`/deals?company_id=${target.id}`)).toEqual([]);
  });

  it('a member’s role change (Member) makes every company and deal entry of the workspace stale', async () => {
    const paths = ['/companies?limit=98', '/deals?limit=98'];
    for (const path of paths) {
      await read(path, f.as('viewer'));
      await read(path, viewer2);
    }
    const members = MemberPage.parse(await read('/members?limit=100', f.as('admin'))).items;
    const member = members.find((m) => m.user.email === 'pipeline-two@northwind.test')!;
    await send('patch', `/members/${member.id}`, { role: 'Operator' });
    const hits = await cacheHits(f.server);
    for (const path of paths) await read(path, f.as('viewer'));
    expect(await cacheHits(f.server), 'the Viewers’ entries were written before the role change').toBe(hits);
    await send('patch', `/members/${member.id}`, { role: 'Pipeline' });
  });
});

describe('two API instances on one Redis and one database', () => {
  it('a write through one is visible through the other on the next read, both ways', async () => {
    const other = replica.getHttpServer();
    const target = await newCompany('Replica Co');
    await warm([`/companies/${target.id}`, '/companies?limit=100'], other);
    const hits = await cacheHits(other, 'Company');
    await read(`/companies/${target.id}`, f.as('admin'), other);
    expect(await cacheHits(other, 'Company'), 'the replica serves it from the cache').toBe(hits + 1);

    await send('patch', `/companies/${target.id}`, { name: 'Replica Co Renamed' });
    expect((await company(target.id, other)).name).toBe('Replica Co Renamed');
    expect((await read('/companies?limit=100', f.as('admin'), other)).items.map((c: { name: string }) => c.name)).toContain('Replica Co Renamed');

    // The other way round: writes through the replica, reads through the first instance.
    await warm([`/companies/${target.id}`]);
    await send('post', '/deals', { company_id: target.id, title: 'Replica deal', amount: 700 }, other);
    expect((await company(target.id)).open_deals_count).toBe(1);
    await warm([`/companies/${target.id}`]);
    await send('patch', `/companies/${target.id}`, { name: 'Renamed Through The Replica' }, other);
    expect((await company(target.id)).name).toBe('Renamed Through The Replica');
  });
});

describe('the worker’s audited writes', () => {
  it('the nightly stale-deal check (activities, audited as Deal) makes the API’s cached company read stale', async () => {
    const target = await newCompany('Stale Check Co');
    const { id: dealId } = await newDeal(target.id, 'Forgotten deal', 900);
    const owner = new pg.Client({ connectionString: f.ownerUrl });
    await owner.connect();
    const worker = await bootstrapWorker(
      WorkerModule.forRoot({
        env: { ...Object.fromEntries(['DATABASE_URL', 'SYSTEM_DATABASE_URL', 'REDIS_URL', 'QUEUE_PREFIX', 'LOG_LEVEL'].map((name) => [name, f.env[name]!])) },
      }),
      { exitProcess: false, signals: [] },
    );
    try {
      await owner.query(`UPDATE deals SET stage_changed_at = now() - interval '60 days' WHERE id = $1`, [dealId]);
      await warm([`/companies/${target.id}`]);
      expect((await company(target.id)).last_activity.kind).toBe('None');
      const producer = worker.app.get<Producer<typeof maintenance>>(getProducerToken(maintenance), { strict: false });
      await producer.add({}, { jobId: 'cache-stale-check' });
      await expect
        .poll(
          async () => {
            const view = await company(target.id);
            return view.last_activity.kind === 'None' ? null : view.last_activity.label;
          },
          { timeout: 20_000, interval: 200 },
        )
        .toMatch(/Forgotten deal: no stage change for \d+ days/);
    } finally {
      await worker.shutdown();
      await owner.end();
    }
  });
});
