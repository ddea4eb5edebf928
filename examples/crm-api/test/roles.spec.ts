import { AuthSessionView, CompanyView, ContactView, DealView, ErrorBody, MeView, MemberView } from '@acme-examples/crm-contracts';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCrmFixture, type CrmFixture, type Persona } from './support/fixture';

// Each role's allowed/denied matrix (CASL abilities in src/authorization/abilities.ts).
// 'own' rows belong to the caller, 'other' rows to the Admin.
type Op =
  | 'list'
  | 'get'
  | 'create'
  | 'update own'
  | 'update other'
  | 'stage own'
  | 'stage other'
  | 'delete'
  | 'member read'
  | 'member add'
  | 'member write'
  | 'member remove'
  | 'audit read'
  | 'me'
  | 'switch to current'
  | 'switch to another';
const ROLES = ['admin', 'operator', 'pipeline', 'viewer'] as const;

const ALLOWED: Record<(typeof ROLES)[number], Op[]> = {
  admin: [
    'list',
    'get',
    'create',
    'update own',
    'update other',
    'stage own',
    'stage other',
    'delete',
    'member read',
    'member add',
    'member write',
    'member remove',
    'audit read',
    'me',
    'switch to current',
    'switch to another',
  ],
  operator: [
    'list',
    'get',
    'create',
    'update own',
    'update other',
    'stage own',
    'stage other',
    'delete',
    'member read',
    'audit read',
    'me',
    'switch to current',
  ],
  pipeline: ['list', 'get', 'create', 'update own', 'stage own', 'member read', 'me', 'switch to current'],
  viewer: ['list', 'get', 'member read', 'me', 'switch to current'],
};
const RESOURCES = ['companies', 'contacts', 'deals'] as const;
/** What each operation is tried on (records by default). */
const TARGETS: Record<Op, readonly string[]> = {
  list: RESOURCES,
  get: RESOURCES,
  create: RESOURCES,
  'update own': RESOURCES,
  'update other': RESOURCES,
  'stage own': ['deals'],
  'stage other': ['deals'],
  delete: RESOURCES,
  'member read': ['members'],
  'member add': ['members'],
  'member write': ['members'],
  'member remove': ['members'],
  'audit read': ['trail'],
  me: ['profile'],
  'switch to current': ['workspace'],
  'switch to another': ['workspace'],
};
const OPS = Object.keys(TARGETS) as Op[];
/** The exact success status of each operation. */
const SUCCESS = (op: Op) => (op === 'create' || op === 'member add' ? 201 : op === 'delete' || op === 'member remove' ? 204 : 200);
/**
 * How the app refuses: 403 FORBIDDEN for what the role may not do. Switching to a workspace is
 * allowed to every role (it reads the caller's own profile); it is membership there that decides,
 * and a workspace the caller is not a member of is not disclosed (404). Of the seeded Northwind
 * users only the Admin (Ada) is also a member of Globex.
 */
const DENIAL = (op: Op): [status: number, code: string] => (op === 'switch to another' ? [404, 'WORKSPACE_NOT_FOUND'] : [403, 'FORBIDDEN']);

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

  /** A user with no membership in Northwind (a fresh account), and their email. */
  const outsider = async () => {
    const email = `outsider-${Math.random().toString(36).slice(2)}@x.test`;
    await request(f.server).post('/auth/register').send({ email, password: 'outsider-password', name: 'Out Sider', workspace_name: 'Elsewhere' }).expect(201);
    return email;
  };
  /** A deal owned by `owner`, in stage 'New' (made by the Admin). */
  const dealOwnedBy = async (owner: Persona) => {
    const created = await create('admin', 'deals');
    await request(f.server).patch(`/deals/${created.body.id}`).set(f.as('admin')).send({ owner_id: f.userIds[owner] }).expect(200);
    expect(created.body.stage).toBe('New');
    return created.body.id as string;
  };

  const cases = ROLES.flatMap((role) => OPS.flatMap((op) => TARGETS[op].map((target) => [role, op, target] as [typeof role, Op, string])));

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
      case 'stage own':
        response = await request(f.server)
          .post(`/deals/${await dealOwnedBy(role)}/stage`)
          .set(f.as(role))
          .send({ stage: 'Qualified' });
        break;
      case 'stage other':
        response = await request(f.server)
          .post(`/deals/${await dealOwnedBy('admin')}/stage`)
          .set(f.as(role))
          .send({ stage: 'Qualified' });
        break;
      case 'member add':
        response = await request(f.server)
          .post('/members')
          .set(f.as(role))
          .send({ email: await outsider(), role: 'Viewer' });
        // Keeps the member list as seeded for the cases that look members up in its first page.
        if (response.status === 201) await request(f.server).delete(`/members/${response.body.id}`).set(f.as('admin')).expect(204);
        break;
      case 'member remove': {
        const added = await request(f.server)
          .post('/members')
          .set(f.as('admin'))
          .send({ email: await outsider(), role: 'Viewer' })
          .expect(201);
        response = await request(f.server).delete(`/members/${added.body.id}`).set(f.as(role));
        if (response.status !== 204) await request(f.server).delete(`/members/${added.body.id}`).set(f.as('admin')).expect(204);
        break;
      }
      case 'audit read':
        response = await request(f.server).get('/audit').set(f.as(role));
        break;
      case 'switch to current':
        response = await request(f.server).post('/auth/switch-workspace').set(f.as(role)).send({ workspace_id: f.northwindId });
        break;
      case 'switch to another':
        response = await request(f.server).post('/auth/switch-workspace').set(f.as(role)).send({ workspace_id: f.globexId });
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
      expect(response.status, JSON.stringify(response.body)).toBe(SUCCESS(op));
      if (op === 'switch to current' || op === 'switch to another') {
        expect(AuthSessionView.parse(response.body).workspace.id).toBe(op === 'switch to current' ? f.northwindId : f.globexId);
      }
    } else {
      const [status, code] = DENIAL(op);
      expect(response.status, JSON.stringify(response.body)).toBe(status);
      expect(ErrorBody.parse(response.body).code).toBe(code);
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
