import { CompanyPage, ContactPage, DealPage, ErrorBody, MemberPage } from '@acme-examples/crm-contracts';
import { SwaggerModule, DocumentBuilder } from '@nestjs/swagger';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTenantIsolation, type IsolationRoute } from '@acme/nest-testing/vitest';
import { startCrmFixture, type CrmFixture } from './support/fixture';

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

type IdRoute = IsolationRoute & { resource: 'company' | 'contact' | 'deal' | 'member' };

const ID_ROUTES: IdRoute[] = [
  { method: 'GET', path: '/companies/{id}', resource: 'company' },
  { method: 'PATCH', path: '/companies/{id}', resource: 'company', body: { name: 'Hijacked' } },
  { method: 'DELETE', path: '/companies/{id}', resource: 'company' },
  { method: 'GET', path: '/contacts/{id}', resource: 'contact' },
  { method: 'PATCH', path: '/contacts/{id}', resource: 'contact', body: { first_name: 'Hijacked' } },
  { method: 'DELETE', path: '/contacts/{id}', resource: 'contact' },
  { method: 'GET', path: '/deals/{id}', resource: 'deal' },
  { method: 'PATCH', path: '/deals/{id}', resource: 'deal', body: { title: 'Hijacked' } },
  { method: 'DELETE', path: '/deals/{id}', resource: 'deal' },
  { method: 'POST', path: '/deals/{id}/stage', resource: 'deal', body: { stage: 'Lost' } },
  { method: 'GET', path: '/members/{id}', resource: 'member' },
  { method: 'PATCH', path: '/members/{id}', resource: 'member', body: { role: 'Viewer' } },
  { method: 'DELETE', path: '/members/{id}', resource: 'member' },
];

/** Northwind's ids of each kind, read as its admin. */
async function northwindIds(f: CrmFixture) {
  const get = (path: string) => request(f.server).get(path).set(f.as('admin'));
  return {
    company: CompanyPage.parse((await get('/companies?limit=100')).body).items.map((c) => c.id),
    contact: ContactPage.parse((await get('/contacts?limit=100')).body).items.map((c) => c.id),
    deal: DealPage.parse((await get('/deals?limit=100')).body).items.map((d) => d.id),
    member: MemberPage.parse((await get('/members?limit=100')).body).items.map((m) => m.id),
  };
}

// Every route that takes an id, called from Globex for a Northwind row: 404 NOT_FOUND, reads and
// writes alike, the row untouched, lists clean; the id routes come from the app's own OpenAPI
// document, so a new :id route without an isolation case fails the suite.
describeTenantIsolation('CRM API (Globex against Northwind)', {
  async setup() {
    const f = await startCrmFixture();
    const document = SwaggerModule.createDocument(f.app, new DocumentBuilder().build());
    return {
      request: async (method, path, { headers, body }) => {
        const call = request(f.server)[method.toLowerCase() as 'get'](path).set(headers);
        const response = body === undefined ? await call : await call.send(body as object);
        return { status: response.status, body: response.body };
      },
      owner: f.as('admin'),
      intruder: f.as('globexAdmin'),
      ownerIds: await northwindIds(f),
      // Every path with a parameter, whatever it is called ({id}, {dealId}, ...), and only the
      // HTTP methods of each path item (not `parameters`, `summary` and the like).
      idRoutes: Object.entries(document.paths)
        .filter(([path]) => /\{[^}]+\}/.test(path))
        .flatMap(([path, item]) =>
          Object.keys(item)
            .filter((key) => HTTP_METHODS.has(key))
            .map((method) => `${method.toUpperCase()} ${path}`),
        ),
      close: () => f.close(),
    };
  },
  routes: ID_ROUTES,
  lists: ['/companies?limit=100', '/contacts?limit=100', '/deals?limit=100', '/members?limit=100'],
  expectBody: (body) => expect(ErrorBody.parse(body).code).toBe('NOT_FOUND'),
});

describe('tenant isolation beyond id routes', () => {
  let f: CrmFixture;
  let northwind: Awaited<ReturnType<typeof northwindIds>>;

  beforeAll(async () => {
    f = await startCrmFixture();
    northwind = await northwindIds(f);
  });
  afterAll(async () => f?.close());

  it('lists filtered by another workspace’s company never contain its ids', async () => {
    const all = new Set(Object.values(northwind).flat());
    for (const path of [`/contacts?company_id=${northwind.company[0]}`, `/deals?company_id=${northwind.company[0]}`]) {
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
