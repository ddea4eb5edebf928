import { AuditPage, CompanyView, DealPage } from '@acme-examples/crm-contracts';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entriesOf } from './support/audit-log';
import { startCrmFixture, type CrmFixture, type Persona } from './support/fixture';

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
  const only = async (response: request.Response) => {
    const entries = await entriesOf(f.ownerUrl, response.headers['x-request-id'] as string);
    expect(entries, JSON.stringify(entries)).toHaveLength(1);
    return entries[0]!;
  };

  it('create, update and delete each leave one Success entry in the workspace, with the changes', async () => {
    const created = await call('admin', 'post', '/companies', { name: 'Audited Ltd', industry: 'Media', size_range: '11-50' });
    const id = CompanyView.parse(created.body).id;
    expect(await only(created)).toMatchObject({ action: 'Create', subject: 'Company', subject_id: id, status: 'Success', workspace_id: f.northwindId, actor_id: f.userIds.admin });

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

  it('another workspace’s row is one Failure entry (404), in the caller’s workspace', async () => {
    const response = await call('admin', 'delete', `/companies/${globexCompany}`);
    expect(response.status).toBe(404);
    expect(await only(response)).toMatchObject({ action: 'Delete', subject: 'Company', status: 'Failure', workspace_id: f.northwindId });
  });

  it('member changes are audited', async () => {
    const added = await call('admin', 'post', '/members', { email: 'hank@globex.test', role: 'Viewer' });
    expect(added.status).toBe(201);
    expect(await only(added)).toMatchObject({ action: 'Create', subject: 'Member', status: 'Success' });
    expect(await only(await call('admin', 'patch', `/members/${added.body.id}`, { role: 'Operator' }))).toMatchObject({ action: 'Update', changes: { role: { from: 'Viewer', to: 'Operator' } } });
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

  it('GET /audit shows the workspace’s trail as views, never another workspace’s', async () => {
    await call('globexAdmin', 'post', '/companies', { name: 'Globex Secret', industry: 'Media', size_range: '1-10' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const trail = AuditPage.parse((await request(f.server).get('/audit?limit=100').set(f.as('admin'))).body);
    expect(trail.items.length).toBeGreaterThan(5);
    expect(trail.items.some((e) => e.summary.startsWith('Ada Lovelace: Create Company'))).toBe(true);
    expect(JSON.stringify(trail)).not.toContain('Globex Secret');
    const failures = AuditPage.parse((await request(f.server).get('/audit?status=Failure').set(f.as('admin'))).body);
    expect(failures.items.every((e) => e.status === 'Failure')).toBe(true);
    const denied = await request(f.server).get('/audit').set(f.as('viewer'));
    expect([denied.status, denied.body.code]).toEqual([403, 'FORBIDDEN']);
    const bad = await request(f.server).get('/audit?cursor=zzz').set(f.as('admin'));
    expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
