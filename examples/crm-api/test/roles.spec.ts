import { CompanyView, ContactView, DealView, ErrorBody, MeView, MemberView } from '@acme-examples/crm-contracts';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCrmFixture, type CrmFixture, type Persona } from './support/fixture';

// Each role's allowed/denied matrix (CASL abilities in src/authorization/abilities.ts).
// 'own' rows belong to the caller, 'other' rows to the Admin.
type Op = 'list' | 'get' | 'create' | 'update own' | 'update other' | 'delete' | 'member read' | 'member write' | 'me';
const ROLES = ['admin', 'operator', 'pipeline', 'viewer'] as const;

const ALLOWED: Record<(typeof ROLES)[number], Op[]> = {
  admin: ['list', 'get', 'create', 'update own', 'update other', 'delete', 'member read', 'member write', 'me'],
  operator: ['list', 'get', 'create', 'update own', 'update other', 'delete', 'member read', 'me'],
  pipeline: ['list', 'get', 'create', 'update own', 'member read', 'me'],
  viewer: ['list', 'get', 'member read', 'me'],
};
const OPS: Op[] = ['list', 'get', 'create', 'update own', 'update other', 'delete', 'member read', 'member write', 'me'];
const RESOURCES = ['companies', 'contacts', 'deals'] as const;

describe('role matrix', () => {
  let f: CrmFixture;
  let companyId: string;

  const create = async (persona: Persona, resource: (typeof RESOURCES)[number]) => {
    const body = {
      companies: { name: `Co ${Math.random()}`, industry: 'Retail', size_range: '1-10' },
      contacts: { company_id: companyId, first_name: 'Nia', last_name: 'Long', email: `nia${Math.random().toString(36).slice(2)}@x.test` },
      deals: { company_id: companyId, title: 'Deal', amount: 1000 },
    }[resource];
    return request(f.server).post(`/${resource}`).set(f.as(persona)).send(body);
  };
  const patchBody = { companies: { name: 'Renamed' }, contacts: { job_title: 'Boss' }, deals: { amount: 2000 } };

  beforeAll(async () => {
    f = await startCrmFixture();
    companyId = (await request(f.server).get('/companies').set(f.as('admin'))).body.items[0].id;
  });
  afterAll(async () => f?.close());

  const cases = ROLES.flatMap((role) => OPS.flatMap((op) => (op.startsWith('member') || op === 'me' ? [[role, op, 'members']] : RESOURCES.map((r) => [role, op, r])) as [typeof role, Op, string][]));

  it.each(cases)('%s: %s %s', async (role, op, resource) => {
    const allowed = ALLOWED[role].includes(op);
    const r = resource as (typeof RESOURCES)[number];
    let response: request.Response;
    switch (op) {
      case 'list':
        response = await request(f.server).get(`/${r}`).set(f.as(role));
        break;
      case 'get': {
        const id = (await create('admin', r)).body.id;
        response = await request(f.server).get(`/${r}/${id}`).set(f.as(role));
        break;
      }
      case 'create':
        response = await create(role, r);
        break;
      case 'update own': {
        // A row the caller owns (created by the Admin on their behalf when the caller may not create).
        const created = await create('admin', r);
        await request(f.server).patch(`/${r}/${created.body.id}`).set(f.as('admin')).send({ owner_id: f.userIds[role] });
        response = await request(f.server).patch(`/${r}/${created.body.id}`).set(f.as(role)).send(patchBody[r]);
        break;
      }
      case 'update other': {
        const id = (await create('admin', r)).body.id;
        response = await request(f.server).patch(`/${r}/${id}`).set(f.as(role)).send(patchBody[r]);
        break;
      }
      case 'delete': {
        const id = (await create('admin', r)).body.id;
        response = await request(f.server).delete(`/${r}/${id}`).set(f.as(role));
        break;
      }
      case 'member read':
        response = await request(f.server).get('/members').set(f.as(role));
        break;
      case 'member write': {
        const members = (await request(f.server).get('/members').set(f.as('admin'))).body.items as { id: string; role: string; user: { email: string } }[];
        const viewer = members.find((m) => m.user.email === 'mary@northwind.test')!;
        response = await request(f.server).patch(`/members/${viewer.id}`).set(f.as(role)).send({ role: 'Viewer' });
        break;
      }
      case 'me':
        response = await request(f.server).get('/me').set(f.as(role));
        break;
    }
    if (allowed) {
      expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
    } else {
      expect(response.status, JSON.stringify(response.body)).toBe(403);
      expect(ErrorBody.parse(response.body).code).toBe('FORBIDDEN');
    }
  });

  it('responses of allowed calls match their view schemas', async () => {
    const company = await create('admin', 'companies');
    const contact = await create('admin', 'contacts');
    const deal = await create('admin', 'deals');
    const member = (await request(f.server).get('/members').set(f.as('admin'))).body.items[0];
    expect(CompanyView.safeParse(company.body).success).toBe(true);
    expect(ContactView.safeParse(contact.body).success).toBe(true);
    expect(DealView.safeParse(deal.body).success).toBe(true);
    expect(MemberView.safeParse(member).success).toBe(true);
  });

  it('GET /me tells each role what it may do', async () => {
    const me = async (persona: Persona) => MeView.parse((await request(f.server).get('/me').set(f.as(persona))).body);
    expect((await me('admin')).permissions.members).toEqual({ read: true, create: true, update: true, delete: true });
    expect((await me('viewer')).permissions.deals).toEqual({ read: true, create: false, update: false, delete: false });
    const pipeline = await me('pipeline');
    expect(pipeline.role).toBe('Pipeline');
    expect(pipeline.permissions.deals).toMatchObject({ read: true, create: true, delete: false });
    expect((await me('admin')).workspaces.map((w) => w.workspace.slug).sort()).toEqual(['globex', 'northwind']);
  });

  it('a role change takes effect on the next request, without a new token', async () => {
    const members = (await request(f.server).get('/members').set(f.as('admin'))).body.items as { id: string; user: { email: string } }[];
    const viewer = members.find((m) => m.user.email === 'mary@northwind.test')!;
    expect((await create('viewer', 'companies')).status).toBe(403);
    await request(f.server).patch(`/members/${viewer.id}`).set(f.as('admin')).send({ role: 'Operator' }).expect(200);
    expect((await create('viewer', 'companies')).status).toBe(201);
    await request(f.server).patch(`/members/${viewer.id}`).set(f.as('admin')).send({ role: 'Viewer' }).expect(200);
    expect((await create('viewer', 'companies')).status).toBe(403);
  });

  it('the last Admin cannot be demoted or removed', async () => {
    const members = (await request(f.server).get('/members').set(f.as('admin'))).body.items as { id: string; role: string }[];
    const admin = members.find((m) => m.role === 'Admin')!;
    const demote = await request(f.server).patch(`/members/${admin.id}`).set(f.as('admin')).send({ role: 'Viewer' });
    expect([demote.status, demote.body.code]).toEqual([409, 'LAST_ADMIN']);
    const remove = await request(f.server).delete(`/members/${admin.id}`).set(f.as('admin'));
    expect([remove.status, remove.body.code]).toEqual([409, 'LAST_ADMIN']);
  });
});
