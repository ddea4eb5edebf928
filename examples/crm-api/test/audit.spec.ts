import { randomUUID } from 'node:crypto';
import { AuditPage, AuthSessionView, CompanyView, DealPage } from '@acme-examples/crm-contracts';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEntry } from './support/audit-log';
import { settledEntriesOf } from './support/audit-settled';
import { startCrmFixture, type CrmFixture, type Persona } from './support/fixture';
import { refreshFamilyOf } from './support/refresh-tokens';

/** One call of one mutating route and the single entry it must leave. */
interface AuditCase {
  /** The route as the OpenAPI document names it: 'POST /deals/{id}/stage'. */
  route: string;
  /** Who calls, and how, for the test name. */
  what: string;
  /** Prepares what the call needs (as other requests), makes the call, says what to expect. */
  run(): Promise<{ response: request.Response; status: number; entry: Expected }>;
}
type Expected = Pick<StoredEntry, 'action' | 'subject' | 'subject_id' | 'workspace_id' | 'actor_id'> & Partial<Pick<StoredEntry, 'error_code'>>;

const MUTATING = ['post', 'put', 'patch', 'delete'];

// Every mutation leaves exactly one audit entry with the right status; denied calls leave a 'Failure'.
describe('audit trail', () => {
  let f: CrmFixture;
  let company: string;
  let globexCompany: string;

  beforeAll(async () => {
    f = await startCrmFixture();
    company = (await request(f.server).get('/companies').set(f.as('admin'))).body.items[0].id;
    globexCompany = (await request(f.server).get('/companies').set(f.as('globexAdmin'))).body.items[0].id;
  });
  afterAll(async () => f?.close());

  const call = (persona: Persona, method: 'post' | 'patch' | 'delete', path: string, body?: object) =>
    body ? request(f.server)[method](path).set(f.as(persona)).send(body) : request(f.server)[method](path).set(f.as(persona));
  // "Exactly one": counted once a later request's entry is written and the audit queue is empty, not after a sleep.
  const only = async (response: request.Response) => {
    const entries = await settledEntriesOf(f, response.headers['x-request-id'] as string);
    expect(entries, JSON.stringify(entries)).toHaveLength(1);
    return entries[0]!;
  };

  it('create, update and delete each leave one Success entry in the workspace, with the changes', async () => {
    const created = await call('admin', 'post', '/companies', { name: 'Audited Ltd', industry: 'Media', size_range: '11-50' });
    const id = CompanyView.parse(created.body).id;
    expect(await only(created)).toMatchObject({
      action: 'Create',
      subject: 'Company',
      subject_id: id,
      status: 'Success',
      workspace_id: f.northwindId,
      actor_id: f.userIds.admin,
    });

    const updated = await call('admin', 'patch', `/companies/${id}`, { name: 'Audited Group' });
    const update = await only(updated);
    expect(update).toMatchObject({ action: 'Update', subject: 'Company', subject_id: id, status: 'Success' });
    expect(update.changes).toMatchObject({ name: { from: 'Audited Ltd', to: 'Audited Group' } });

    expect(await only(await call('admin', 'delete', `/companies/${id}`))).toMatchObject({ action: 'Delete', subject_id: id, status: 'Success' });
  });

  it('a stage change records the stage move; a refused transition is a Failure with its code', async () => {
    const deal = DealPage.parse((await request(f.server).get('/deals?stage=New').set(f.as('admin'))).body).items[0]!;
    const moved = await only(await call('admin', 'post', `/deals/${deal.id}/stage`, { stage: 'Qualified' }));
    expect(moved).toMatchObject({ action: 'Stage Change', subject: 'Deal', status: 'Success', changes: { stage: { from: 'New', to: 'Qualified' } } });
    const refused = await only(await call('admin', 'post', `/deals/${deal.id}/stage`, { stage: 'Won' }));
    expect(refused).toMatchObject({ action: 'Stage Change', status: 'Failure', error_code: 'DEAL_INVALID_TRANSITION' });
  });

  it('a route the role may not use is one Failure entry (the CASL denial)', async () => {
    const response = await call('viewer', 'post', '/companies', { name: 'Nope', industry: 'Media', size_range: '1-10' });
    expect(response.status).toBe(403);
    expect(await only(response)).toMatchObject({ status: 'Failure', actor_id: f.userIds.viewer });
  });

  it('a row the caller may read but not change is one Failure entry', async () => {
    const response = await call('pipeline', 'patch', `/companies/${company}`, { name: 'Not mine' });
    expect(response.status).toBe(403);
    expect(await only(response)).toMatchObject({ action: 'Update', subject: 'Company', status: 'Failure' });
  });

  it('an id spelled in upper case in the path is the same row, recorded under its one spelling', async () => {
    const refused = await call('pipeline', 'patch', `/companies/${company.toUpperCase()}`, { name: 'Not mine' });
    expect(refused.status).toBe(403);
    expect(await only(refused)).toMatchObject({ action: 'Update', subject: 'Company', subject_id: company, status: 'Failure' });
    const read = await request(f.server).get(`/companies/${company.toUpperCase()}`).set(f.as('pipeline'));
    expect([read.status, read.body.id]).toEqual([200, company]);
  });

  it('another workspace’s row is one Failure entry (404), in the caller’s workspace', async () => {
    const response = await call('admin', 'delete', `/companies/${globexCompany}`);
    expect(response.status).toBe(404);
    expect(await only(response)).toMatchObject({ action: 'Delete', subject: 'Company', status: 'Failure', workspace_id: f.northwindId });
  });

  it('member changes are audited', async () => {
    const added = await call('admin', 'post', '/members', { email: 'hank@globex.test', role: 'Viewer' });
    expect(added.status).toBe(201);
    expect(await only(added)).toMatchObject({ action: 'Create', subject: 'Member', status: 'Success' });
    expect(await only(await call('admin', 'patch', `/members/${added.body.id}`, { role: 'Operator' }))).toMatchObject({
      action: 'Update',
      changes: { role: { from: 'Viewer', to: 'Operator' } },
    });
    expect(await only(await call('admin', 'delete', `/members/${added.body.id}`))).toMatchObject({ action: 'Delete', subject: 'Member' });
  });

  it('sign-in is audited; refresh-token reuse is a Failure in the workspace trail', async () => {
    const login = await request(f.server).post('/auth/login').send({ email: 'grace@northwind.test', password: f.seed.password });
    expect(await only(login)).toMatchObject({ action: 'Sign In', subject: 'User', status: 'Success', workspace_id: f.northwindId });
    const first = login.body.refresh_token;
    await request(f.server).post('/auth/refresh').send({ refresh_token: first }).expect(200);
    const replay = await request(f.server).post('/auth/refresh').send({ refresh_token: first });
    expect(await only(replay)).toMatchObject({ action: 'Refresh', status: 'Failure', error_code: 'REFRESH_TOKEN_REUSED', workspace_id: f.northwindId });
  });

  // Rows and accounts the table's calls act on, made by other requests (their entries are not counted).
  const make = {
    company: async (persona: Persona = 'admin') =>
      (await call(persona, 'post', '/companies', { name: `Audited ${randomUUID()}`, industry: 'Media', size_range: '11-50' }).expect(201)).body.id as string,
    contact: async (persona: Persona = 'admin') =>
      (
        await call(persona, 'post', '/contacts', {
          company_id: await make.company(persona),
          first_name: 'Ida',
          last_name: 'Audit',
          email: `ida-${randomUUID()}@audit.test`,
        }).expect(201)
      ).body.id as string,
    deal: async () => (await call('admin', 'post', '/deals', { company_id: company, title: 'Audited deal', amount: 1_000 }).expect(201)).body.id as string,
    account: async () => {
      const email = `audit-${randomUUID()}@audit.test`;
      const body = { email, password: 'audit-password-2026', name: 'Audit Person', workspace_name: 'Audit Workspace' };
      return { email, session: AuthSessionView.parse((await request(f.server).post('/auth/register').send(body).expect(201)).body) };
    },
    member: async () => (await call('admin', 'post', '/members', { email: (await make.account()).email, role: 'Viewer' }).expect(201)).body.id as string,
    session: async (email = 'linus@northwind.test') =>
      AuthSessionView.parse((await request(f.server).post('/auth/login').send({ email, password: f.seed.password }).expect(200)).body),
  };
  const inNorthwind = (persona: Persona) => ({ workspace_id: f.northwindId, actor_id: f.userIds[persona] });

  const SUCCESSES: AuditCase[] = [
    ...(['companies', 'contacts', 'deals'] as const).flatMap((resource): AuditCase[] => {
      const subject = ({ companies: 'Company', contacts: 'Contact', deals: 'Deal' } as const)[resource];
      const body = {
        companies: () => ({ name: 'Audited Co', industry: 'Media', size_range: '1-10' }),
        contacts: () => ({ company_id: company, first_name: 'Ida', last_name: 'Audit', email: `ida-${randomUUID()}@audit.test` }),
        deals: () => ({ company_id: company, title: 'Audited deal', amount: 1_000 }),
      }[resource];
      const patch = { companies: { name: 'Audited Group' }, contacts: { job_title: 'Auditor' }, deals: { amount: 2_000 } }[resource];
      const row = { companies: () => make.company(), contacts: () => make.contact(), deals: () => make.deal() }[resource];
      return [
        {
          route: `POST /${resource}`,
          what: 'an Operator creates',
          run: async () => {
            const response = await call('operator', 'post', `/${resource}`, body());
            return { response, status: 201, entry: { action: 'Create', subject, subject_id: response.body.id, ...inNorthwind('operator') } };
          },
        },
        {
          route: `PATCH /${resource}/{id}`,
          what: 'an Operator updates',
          run: async () => {
            const id = await row();
            return {
              response: await call('operator', 'patch', `/${resource}/${id}`, patch),
              status: 200,
              entry: { action: 'Update', subject, subject_id: id, ...inNorthwind('operator') },
            };
          },
        },
        {
          route: `DELETE /${resource}/{id}`,
          what: 'an Operator deletes',
          run: async () => {
            const id = await row();
            return {
              response: await call('operator', 'delete', `/${resource}/${id}`),
              status: 204,
              entry: { action: 'Delete', subject, subject_id: id, ...inNorthwind('operator') },
            };
          },
        },
      ];
    }),
    {
      route: 'POST /deals/{id}/stage',
      what: 'an Operator moves a deal',
      run: async () => {
        const id = await make.deal();
        return {
          response: await call('operator', 'post', `/deals/${id}/stage`, { stage: 'Qualified' }),
          status: 200,
          entry: { action: 'Stage Change', subject: 'Deal', subject_id: id, ...inNorthwind('operator') },
        };
      },
    },
    {
      route: 'POST /members',
      what: 'the Admin adds a member',
      run: async () => {
        const { email } = await make.account();
        const response = await call('admin', 'post', '/members', { email, role: 'Viewer' });
        return { response, status: 201, entry: { action: 'Create', subject: 'Member', subject_id: response.body.id, ...inNorthwind('admin') } };
      },
    },
    {
      route: 'PATCH /members/{id}',
      what: 'the Admin changes a role',
      run: async () => {
        const id = await make.member();
        return {
          response: await call('admin', 'patch', `/members/${id}`, { role: 'Pipeline' }),
          status: 200,
          entry: { action: 'Update', subject: 'Member', subject_id: id, ...inNorthwind('admin') },
        };
      },
    },
    {
      route: 'DELETE /members/{id}',
      what: 'the Admin removes a member',
      run: async () => {
        const id = await make.member();
        return {
          response: await call('admin', 'delete', `/members/${id}`),
          status: 204,
          entry: { action: 'Delete', subject: 'Member', subject_id: id, ...inNorthwind('admin') },
        };
      },
    },
    {
      route: 'POST /auth/register',
      what: 'a new account',
      run: async () => {
        const response = await request(f.server)
          .post('/auth/register')
          .send({ email: `new-${randomUUID()}@audit.test`, password: 'audit-password-2026', name: 'New Person', workspace_name: 'New Workspace' });
        const session = AuthSessionView.parse(response.body);
        return {
          response,
          status: 201,
          entry: { action: 'Register', subject: 'User', subject_id: session.user.id, workspace_id: session.workspace.id, actor_id: session.user.id },
        };
      },
    },
    {
      route: 'POST /auth/login',
      what: 'a Pipeline user signs in',
      run: async () => {
        const response = await request(f.server).post('/auth/login').send({ email: 'linus@northwind.test', password: f.seed.password });
        return { response, status: 200, entry: { action: 'Sign In', subject: 'User', subject_id: f.userIds.pipeline, ...inNorthwind('pipeline') } };
      },
    },
    {
      route: 'POST /auth/refresh',
      what: 'a session rotates its refresh token',
      run: async () => {
        const { refresh_token } = await make.session();
        const family = await refreshFamilyOf(f.ownerUrl, refresh_token);
        const response = await request(f.server).post('/auth/refresh').send({ refresh_token });
        // The rotation keeps the family: the new token is the same session.
        expect(await refreshFamilyOf(f.ownerUrl, response.body.refresh_token)).toBe(family);
        return { response, status: 200, entry: { action: 'Refresh', subject: 'Session', subject_id: family, ...inNorthwind('pipeline') } };
      },
    },
    {
      route: 'POST /auth/logout',
      what: 'a session signs out',
      run: async () => {
        const { refresh_token, access_token } = await make.session();
        const family = await refreshFamilyOf(f.ownerUrl, refresh_token);
        const response = await request(f.server)
          .post('/auth/logout')
          .set({ authorization: `Bearer ${access_token}` })
          .send({ refresh_token });
        return { response, status: 200, entry: { action: 'Sign Out', subject: 'Session', subject_id: family, ...inNorthwind('pipeline') } };
      },
    },
    {
      route: 'POST /auth/logout',
      what: 'an unknown token (nothing revoked, no workspace: the entry names the caller, as a switch does)',
      run: async () => {
        const response = await request(f.server).post('/auth/logout').set(f.as('pipeline')).send({ refresh_token: 'not-a-token' });
        return {
          response,
          status: 200,
          entry: { action: 'Sign Out', subject: 'Session', subject_id: f.userIds.pipeline, workspace_id: null, actor_id: f.userIds.pipeline },
        };
      },
    },
    {
      route: 'POST /auth/switch-workspace',
      what: 'the Admin switches to a workspace she is a member of',
      run: async () => {
        const response = await call('admin', 'post', '/auth/switch-workspace', { workspace_id: f.globexId });
        // Unlike Refresh and Sign Out, a switch names the user (it starts a new session, whose family is not returned).
        return {
          response,
          status: 200,
          entry: { action: 'Switch Workspace', subject: 'Session', subject_id: f.userIds.admin, workspace_id: f.globexId, actor_id: f.userIds.admin },
        };
      },
    },
  ];

  // One refused call per mutating route: the CASL guard's denial, a row the ability refuses
  // inside the service, a missing or foreign id, or the route's own business error.
  const FAILURES: AuditCase[] = [
    ...(['companies', 'contacts', 'deals'] as const).flatMap((resource): AuditCase[] => {
      const subject = ({ companies: 'Company', contacts: 'Contact', deals: 'Deal' } as const)[resource];
      const denied = (persona: Persona, action: string): Expected => ({
        action,
        subject,
        subject_id: null,
        error_code: 'CASL_FORBIDDEN',
        ...inNorthwind(persona),
      });
      return [
        {
          route: `POST /${resource}`,
          what: 'a Viewer (guard denial)',
          run: async () => ({ response: await call('viewer', 'post', `/${resource}`, { name: 'Nope' }), status: 403, entry: denied('viewer', 'Create') }),
        },
        {
          route: `PATCH /${resource}/{id}`,
          what: 'a Viewer (guard denial)',
          run: async () => ({
            response: await call('viewer', 'patch', `/${resource}/${randomUUID()}`, { name: 'Nope' }),
            status: 403,
            entry: denied('viewer', 'Update'),
          }),
        },
        {
          route: `DELETE /${resource}/{id}`,
          what: 'a Pipeline user (guard denial)',
          run: async () => ({ response: await call('pipeline', 'delete', `/${resource}/${randomUUID()}`), status: 403, entry: denied('pipeline', 'Delete') }),
        },
      ];
    }),
    {
      route: 'POST /contacts',
      what: 'the Admin, for a company that does not exist',
      run: async () => ({
        response: await call('admin', 'post', '/contacts', { company_id: randomUUID(), first_name: 'Ida', last_name: 'Audit', email: 'ida@audit.test' }),
        status: 404,
        entry: { action: 'Create', subject: 'Contact', subject_id: null, error_code: 'TENANCY_NOT_FOUND', ...inNorthwind('admin') },
      }),
    },
    {
      route: 'PATCH /companies/{id}',
      what: 'the Admin, on an id that does not exist',
      run: async () => {
        const id = randomUUID();
        return {
          response: await call('admin', 'patch', `/companies/${id}`, { name: 'Ghost' }),
          status: 404,
          entry: { action: 'Update', subject: 'Company', subject_id: id, error_code: 'TENANCY_NOT_FOUND', ...inNorthwind('admin') },
        };
      },
    },
    {
      route: 'DELETE /contacts/{id}',
      what: 'the Admin, on another workspace’s contact',
      run: async () => {
        const id = await make.contact('globexAdmin');
        return {
          response: await call('admin', 'delete', `/contacts/${id}`),
          status: 404,
          entry: { action: 'Delete', subject: 'Contact', subject_id: id, error_code: 'TENANCY_NOT_FOUND', ...inNorthwind('admin') },
        };
      },
    },
    {
      route: 'PATCH /deals/{id}',
      what: 'a Pipeline user, on a deal they do not own (refused in the service)',
      run: async () => {
        const id = await make.deal();
        return {
          response: await call('pipeline', 'patch', `/deals/${id}`, { amount: 1 }),
          status: 403,
          entry: { action: 'Update', subject: 'Deal', subject_id: id, error_code: 'CASL_FORBIDDEN', ...inNorthwind('pipeline') },
        };
      },
    },
    {
      route: 'POST /deals/{id}/stage',
      what: 'a Viewer (guard denial)',
      run: async () => ({
        response: await call('viewer', 'post', `/deals/${await make.deal()}/stage`, { stage: 'Qualified' }),
        status: 403,
        entry: { action: 'Update', subject: 'Deal', subject_id: null, error_code: 'CASL_FORBIDDEN', ...inNorthwind('viewer') },
      }),
    },
    {
      route: 'POST /deals/{id}/stage',
      what: 'the Admin, on an id that does not exist',
      run: async () => {
        const id = randomUUID();
        return {
          response: await call('admin', 'post', `/deals/${id}/stage`, { stage: 'Qualified' }),
          status: 404,
          entry: { action: 'Stage Change', subject: 'Deal', subject_id: id, error_code: 'TENANCY_NOT_FOUND', ...inNorthwind('admin') },
        };
      },
    },
    {
      route: 'POST /members',
      what: 'an Operator (guard denial)',
      run: async () => ({
        response: await call('operator', 'post', '/members', { email: (await make.account()).email, role: 'Viewer' }),
        status: 403,
        entry: { action: 'Create', subject: 'Member', subject_id: null, error_code: 'CASL_FORBIDDEN', ...inNorthwind('operator') },
      }),
    },
    {
      route: 'POST /members',
      what: 'the Admin, adding someone already a member',
      run: async () => ({
        response: await call('admin', 'post', '/members', { email: 'mary@northwind.test', role: 'Viewer' }),
        status: 409,
        entry: { action: 'Create', subject: 'Member', subject_id: null, error_code: 'MEMBER_EXISTS', ...inNorthwind('admin') },
      }),
    },
    {
      route: 'PATCH /members/{id}',
      what: 'an Operator (guard denial)',
      run: async () => ({
        response: await call('operator', 'patch', `/members/${await make.member()}`, { role: 'Admin' }),
        status: 403,
        entry: { action: 'Update', subject: 'Member', subject_id: null, error_code: 'CASL_FORBIDDEN', ...inNorthwind('operator') },
      }),
    },
    {
      route: 'DELETE /members/{id}',
      what: 'the Admin, on an id that does not exist',
      run: async () => {
        const id = randomUUID();
        return {
          response: await call('admin', 'delete', `/members/${id}`),
          status: 404,
          entry: { action: 'Delete', subject: 'Member', subject_id: id, error_code: 'TENANCY_NOT_FOUND', ...inNorthwind('admin') },
        };
      },
    },
    {
      route: 'POST /auth/register',
      what: 'an email that has an account',
      run: async () => ({
        response: await request(f.server)
          .post('/auth/register')
          .send({ email: 'mary@northwind.test', password: 'audit-password-2026', name: 'Mary Again', workspace_name: 'Dup' }),
        status: 409,
        entry: { action: 'Register', subject: 'User', subject_id: null, error_code: 'EMAIL_TAKEN', workspace_id: null, actor_id: null },
      }),
    },
    {
      route: 'POST /auth/login',
      what: 'a wrong password (the entry names the account tried)',
      run: async () => ({
        response: await request(f.server).post('/auth/login').send({ email: 'grace@northwind.test', password: 'wrong-password-2026' }),
        status: 401,
        entry: { action: 'Sign In', subject: 'User', subject_id: f.userIds.operator, error_code: 'INVALID_CREDENTIALS', workspace_id: null, actor_id: null },
      }),
    },
    {
      route: 'POST /auth/refresh',
      what: 'an unknown token',
      run: async () => ({
        response: await request(f.server).post('/auth/refresh').send({ refresh_token: 'not-a-token' }),
        status: 401,
        entry: { action: 'Refresh', subject: 'Session', subject_id: null, error_code: 'REFRESH_TOKEN_INVALID', workspace_id: null, actor_id: null },
      }),
    },
    {
      route: 'POST /auth/switch-workspace',
      what: 'a Viewer, to a workspace they are not a member of',
      run: async () => ({
        response: await call('viewer', 'post', '/auth/switch-workspace', { workspace_id: f.globexId }),
        status: 404,
        entry: { action: 'Switch Workspace', subject: 'Session', subject_id: f.userIds.viewer, error_code: 'WORKSPACE_NOT_FOUND', ...inNorthwind('viewer') },
      }),
    },
  ];

  it.each(SUCCESSES)('$route, $what: exactly one Success entry', async ({ run }) => {
    const { response, status, entry } = await run();
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    expect(await only(response)).toMatchObject({ ...entry, status: 'Success', error_code: null });
  });

  it.each(FAILURES)('$route, $what: exactly one Failure entry', async ({ run }) => {
    const { response, status, entry } = await run();
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    expect(await only(response)).toMatchObject({ ...entry, status: 'Failure' });
  });

  it('the tables cover every mutating route the app serves (sign-out has no failing call: an unknown token is a Success)', async () => {
    const document = (await request(f.server).get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations)
        .filter((method) => MUTATING.includes(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    const covered = (cases: AuditCase[]) => [...new Set(cases.map((c) => c.route))].sort();
    expect(routes.length).toBeGreaterThanOrEqual(18);
    expect(covered(SUCCESSES)).toEqual([...routes].sort());
    expect(covered(FAILURES)).toEqual(routes.filter((route) => route !== 'POST /auth/logout').sort());
  });

  it('GET /audit shows the workspace’s trail as views, never another workspace’s', async () => {
    const secret = await call('globexAdmin', 'post', '/companies', { name: 'Globex Secret', industry: 'Media', size_range: '1-10' }).expect(201);
    // The Globex entry is in the table and Globex's own trail shows it: its absence below is the scoping, not a slow writer.
    expect(await only(secret)).toMatchObject({ action: 'Create', subject_id: secret.body.id, workspace_id: f.globexId });
    const globexTrail = AuditPage.parse((await request(f.server).get(`/audit?subject_id=${secret.body.id}`).set(f.as('globexAdmin'))).body);
    expect(globexTrail.items.map((e) => e.summary)).toEqual([expect.stringMatching(/: Create Company$/)]);
    const trail = AuditPage.parse((await request(f.server).get('/audit?limit=100').set(f.as('admin'))).body);
    expect(trail.items.length).toBeGreaterThan(5);
    expect(trail.items.some((e) => e.summary.startsWith('Ada Lovelace: Create Company'))).toBe(true);
    expect(trail.items.map((e) => e.subject_id)).not.toContain(secret.body.id);
    expect(JSON.stringify(trail)).not.toContain('Globex Secret');
    expect(AuditPage.parse((await request(f.server).get(`/audit?subject_id=${secret.body.id}`).set(f.as('admin'))).body).items).toEqual([]);
    const failures = AuditPage.parse((await request(f.server).get('/audit?status=Failure').set(f.as('admin'))).body);
    expect(failures.items.every((e) => e.status === 'Failure')).toBe(true);
    const denied = await request(f.server).get('/audit').set(f.as('viewer'));
    expect([denied.status, denied.body.code]).toEqual([403, 'FORBIDDEN']);
    const bad = await request(f.server).get('/audit?cursor=zzz').set(f.as('admin'));
    expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
