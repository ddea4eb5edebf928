import { ErrorBody } from '@acme-examples/crm-contracts';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../src/database/seed-data';
import { startCrmFixture, type CrmFixture } from './support/fixture';
import { cacheHits } from './support/metrics';

interface WorkspaceRows {
  companies: string[];
  deals: string[];
  contacts: string[];
  users: string[];
}

/** Every id of a workspace's rows, read past RLS as the owner role (the truth the API is checked against). */
async function rowsOf(ownerUrl: string, workspaceId: string): Promise<WorkspaceRows> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const ids = async (sql: string) => (await client.query<{ id: string }>(sql, [workspaceId])).rows.map((r) => r.id);
    return {
      companies: await ids('SELECT id FROM companies WHERE workspace_id = $1 ORDER BY created_at'),
      deals: await ids('SELECT id FROM deals WHERE workspace_id = $1 ORDER BY created_at'),
      contacts: await ids('SELECT id FROM contacts WHERE workspace_id = $1'),
      users: await ids('SELECT user_id AS id FROM memberships WHERE workspace_id = $1'),
    };
  } finally {
    await client.end();
  }
}

// The cached reads (GET /companies, /companies/:id, /deals, /deals/:id), warmed for Northwind, then
// asked for with the very same paths, ids and queries from Globex: an entry written for Northwind
// is never served there (404 for its ids, lists of Globex's rows only, not a single cache hit).
describe('cache isolation: Globex never receives an entry written for Northwind', () => {
  let f: CrmFixture;
  let northwind: WorkspaceRows;
  let globex: WorkspaceRows;
  let reads: string[];
  let northwindBodies: Map<string, string>;
  /** Ada is Admin of Northwind and Viewer of Globex: one user, two workspaces. */
  let adaInGlobex: { authorization: string };

  const get = (path: string, headers: { authorization: string }) => request(f.server).get(path).set(headers);

  beforeAll(async () => {
    f = await startCrmFixture();
    northwind = await rowsOf(f.ownerUrl, f.northwindId);
    globex = await rowsOf(f.ownerUrl, f.globexId);
    const firstPage = await get('/companies?limit=2', f.as('admin')).expect(200);
    const cursor = firstPage.body.next_cursor as string;
    expect(cursor).toEqual(expect.any(String));
    reads = [
      '/companies',
      '/companies?limit=100',
      '/companies?limit=2',
      `/companies?limit=2&cursor=${encodeURIComponent(cursor)}`,
      '/companies?q=contoso',
      '/companies?status=Customer',
      '/companies?industry=Manufacturing',
      '/deals',
      '/deals?limit=100',
      '/deals?stage=Negotiation',
      `/deals?company_id=${northwind.companies[0]}`,
      `/deals?owner_id=${f.userIds.admin}`,
      ...northwind.companies.map((id) => `/companies/${id}`),
      ...northwind.deals.map((id) => `/deals/${id}`),
    ];
    const session = await request(f.server).post('/auth/login').send({ email: 'ada@northwind.test', password: DEMO_PASSWORD, workspace_id: f.globexId });
    expect(session.status).toBe(200);
    adaInGlobex = { authorization: `Bearer ${session.body.access_token}` };
  });
  afterAll(async () => f?.close());

  it('Northwind’s reads are cached: a second pass is served from the cache', async () => {
    northwindBodies = new Map();
    for (const path of reads) northwindBodies.set(path, JSON.stringify((await get(path, f.as('admin')).expect(200)).body));
    const before = await cacheHits(f.server);
    for (const path of reads) expect(JSON.stringify((await get(path, f.as('admin')).expect(200)).body), path).toBe(northwindBodies.get(path));
    expect(await cacheHits(f.server)).toBe(before + reads.length);
  });

  it.each(['globexAdmin', 'globexPipeline', 'adaInGlobex'] as const)(
    'the same paths from Globex (%s): 404 for Northwind’s ids, Globex’s rows only in lists, no cache hit',
    async (persona) => {
      const headers = persona === 'adaInGlobex' ? adaInGlobex : f.as(persona);
      const foreign = [...northwind.companies, ...northwind.deals, ...northwind.contacts];
      const own = new Set([...globex.companies, ...globex.deals]);
      const hitsBefore = await cacheHits(f.server);
      for (const path of reads) {
        const response = await get(path, headers);
        if (/^\/(companies|deals)\/[^?]+$/.test(path)) {
          expect(response.status, path).toBe(404);
          expect(ErrorBody.parse(response.body).code, path).toBe('NOT_FOUND');
          continue;
        }
        expect(response.status, path).toBe(200);
        const text = JSON.stringify(response.body);
        const leaked = foreign.filter((id) => text.includes(id));
        expect(leaked, `${path} shows Globex Northwind's rows`).toEqual([]);
        for (const item of response.body.items as { id: string }[]) expect(own.has(item.id), `${path}: ${item.id}`).toBe(true);
      }
      // Each Globex read was its own miss (a first read as this caller); none was served Northwind's entry.
      expect(await cacheHits(f.server)).toBe(hitsBefore);
    },
  );

  it('Globex’s own lists are complete (counts of its own rows), and Northwind still reads its own entries unchanged', async () => {
    const companies = await get('/companies?limit=100', f.as('globexAdmin')).expect(200);
    expect(companies.body.total).toBe(globex.companies.length);
    expect((companies.body.items as { id: string }[]).map((c) => c.id).sort()).toEqual([...globex.companies].sort());
    const deals = await get('/deals?limit=100', f.as('globexAdmin')).expect(200);
    expect(deals.body.total).toBe(globex.deals.length);
    const before = await cacheHits(f.server);
    for (const path of reads) expect(JSON.stringify((await get(path, f.as('admin')).expect(200)).body), path).toBe(northwindBodies.get(path));
    expect(await cacheHits(f.server)).toBe(before + reads.length);
  });
});
