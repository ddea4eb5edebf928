import { CompanyPage, ContactPage, DealPage, ErrorBody, MemberPage } from '@acme-examples/crm-contracts';
import { SwaggerModule, DocumentBuilder } from '@nestjs/swagger';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCrmFixture, type CrmFixture } from './support/fixture';

// Every route that takes an id, called from Globex for a Northwind row: 404 NOT_FOUND, reads and
// writes alike, and the row is untouched. The list is checked against the app's own routes, so a
// new :id route without an isolation case fails this file.
type IdRoute = { method: 'get' | 'patch' | 'delete' | 'post'; path: string; kind: 'company' | 'contact' | 'deal' | 'member'; body?: object };

const ID_ROUTES: IdRoute[] = [
  { method: 'get', path: '/companies/{id}', kind: 'company' },
  { method: 'patch', path: '/companies/{id}', kind: 'company', body: { name: 'Hijacked' } },
  { method: 'delete', path: '/companies/{id}', kind: 'company' },
  { method: 'get', path: '/contacts/{id}', kind: 'contact' },
  { method: 'patch', path: '/contacts/{id}', kind: 'contact', body: { first_name: 'Hijacked' } },
  { method: 'delete', path: '/contacts/{id}', kind: 'contact' },
  { method: 'get', path: '/deals/{id}', kind: 'deal' },
  { method: 'patch', path: '/deals/{id}', kind: 'deal', body: { title: 'Hijacked' } },
  { method: 'delete', path: '/deals/{id}', kind: 'deal' },
  { method: 'post', path: '/deals/{id}/stage', kind: 'deal', body: { stage: 'Lost' } },
  { method: 'get', path: '/members/{id}', kind: 'member' },
  { method: 'patch', path: '/members/{id}', kind: 'member', body: { role: 'Viewer' } },
  { method: 'delete', path: '/members/{id}', kind: 'member' },
];

describe('tenant isolation: another workspace is a 404', () => {
  let f: CrmFixture;
  const northwind: Record<IdRoute['kind'], string[]> = { company: [], contact: [], deal: [], member: [] };

  beforeAll(async () => {
    f = await startCrmFixture();
    const get = (path: string) => request(f.server).get(path).set(f.as('admin'));
    northwind.company = CompanyPage.parse((await get('/companies?limit=100')).body).items.map((c) => c.id);
    northwind.contact = ContactPage.parse((await get('/contacts?limit=100')).body).items.map((c) => c.id);
    northwind.deal = DealPage.parse((await get('/deals?limit=100')).body).items.map((d) => d.id);
    northwind.member = MemberPage.parse((await get('/members?limit=100')).body).items.map((m) => m.id);
  });
  afterAll(async () => f?.close());

  it('covers every route of the app that takes an id', () => {
    const document = SwaggerModule.createDocument(f.app, new DocumentBuilder().build());
    const actual = Object.entries(document.paths)
      .filter(([path]) => path.includes('{id}'))
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    expect(actual.sort()).toEqual(ID_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it.each(ID_ROUTES)('$method $path from Globex -> 404 NOT_FOUND', async (route) => {
    for (const id of northwind[route.kind].slice(0, 2)) {
      const call = request(f.server)[route.method](route.path.replace('{id}', id)).set(f.as('globexAdmin'));
      const response = route.body ? await call.send(route.body) : await call;
      expect(response.status, `${route.method} ${route.path} ${id}`).toBe(404);
      expect(ErrorBody.parse(response.body).code).toBe('NOT_FOUND');
    }
  });

  it('a Northwind row that never existed and a Globex-invisible row answer the same', async () => {
    const missing = await request(f.server).get('/companies/00000000-0000-4000-8000-000000000000').set(f.as('globexAdmin'));
    const foreign = await request(f.server).get(`/companies/${northwind.company[0]}`).set(f.as('globexAdmin'));
    expect([missing.status, missing.body.code, missing.body.message]).toEqual([foreign.status, foreign.body.code, foreign.body.message]);
  });

  it('Northwind rows are untouched after the attempts', async () => {
    for (const kind of ['company', 'contact', 'deal', 'member'] as const) {
      const path = { company: '/companies', contact: '/contacts', deal: '/deals', member: '/members' }[kind];
      const response = await request(f.server).get(`${path}/${northwind[kind][0]}`).set(f.as('admin'));
      expect(response.status).toBe(200);
      expect(JSON.stringify(response.body)).not.toContain('Hijacked');
    }
  });

  it('lists never contain another workspace’s ids, even when filtered by one', async () => {
    const all = new Set(Object.values(northwind).flat());
    for (const path of ['/companies?limit=100', '/contacts?limit=100', '/deals?limit=100', '/members?limit=100', `/contacts?company_id=${northwind.company[0]}`, `/deals?company_id=${northwind.company[0]}`]) {
      const response = await request(f.server).get(path).set(f.as('globexAdmin'));
      expect(response.status, path).toBe(200);
      for (const item of response.body.items as { id: string }[]) expect(all.has(item.id), path).toBe(false);
    }
  });

  it('ids in request bodies are scoped too: a foreign company, contact or owner is a 404', async () => {
    const globexCompany = CompanyPage.parse((await request(f.server).get('/companies').set(f.as('globexAdmin'))).body).items[0]!.id;
    const cases: [string, object][] = [
      ['/contacts', { company_id: northwind.company[0], first_name: 'Eve', last_name: 'Spy', email: 'eve@spy.test' }],
      ['/deals', { company_id: northwind.company[0], title: 'Stolen', amount: 1 }],
      ['/deals', { company_id: globexCompany, title: 'Linked', amount: 1, primary_contact_id: northwind.contact[0] }],
      ['/companies', { name: 'Owned', industry: 'Software', size_range: '1-10', owner_id: f.userIds.operator }],
    ];
    for (const [path, body] of cases) {
      const response = await request(f.server).post(path).set(f.as('globexAdmin')).send(body);
      expect(response.status, `${path} ${JSON.stringify(body)}`).toBe(404);
      expect(response.body.code).toBe('NOT_FOUND');
    }
  });

  it('RLS backs it up: the runtime role sees no tenant row outside a workspace, and only its own inside one', async () => {
    const client = new pg.Client({ connectionString: f.env.DATABASE_URL });
    await client.connect();
    try {
      expect((await client.query('SELECT count(*)::int AS n FROM companies')).rows[0].n).toBe(0);
      await client.query('BEGIN');
      await client.query(`SELECT set_config('app.workspace_id', $1, true)`, [f.globexId]);
      const ids = (await client.query<{ id: string }>('SELECT id FROM companies')).rows.map((r) => r.id);
      await client.query('COMMIT');
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.some((id) => northwind.company.includes(id))).toBe(false);
    } finally {
      await client.end();
    }
  });
});
