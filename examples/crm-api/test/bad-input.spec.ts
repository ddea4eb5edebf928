import { ERROR_CODES, ErrorBody } from '@acme-examples/crm-contracts';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCrmFixture, type CrmFixture } from './support/fixture';

// Bad input gets a 4xx with a stable code from the contracts, never a 500.
type Case = [name: string, method: 'get' | 'post' | 'patch' | 'delete', path: string, body: string | object | undefined, status: number, code: string];

describe('bad input', () => {
  let f: CrmFixture;
  let companyId: string;
  let dealId: string;

  beforeAll(async () => {
    f = await startCrmFixture();
    companyId = (await request(f.server).get('/companies').set(f.as('admin'))).body.items[0].id;
    dealId = (await request(f.server).get('/deals?stage=New').set(f.as('admin'))).body.items[0].id;
  });
  afterAll(async () => f?.close());

  // {company}, {deal} and {globex} are filled in from the seed once the app runs.
  const CASES: Case[] = [
    ['wrong type', 'post', '/companies', { name: 42, industry: 'Software', size_range: '1-10' }, 400, 'VALIDATION_FAILED'],
    ['unknown field', 'post', '/companies', { name: 'A', industry: 'Software', size_range: '1-10', workspace_id: '{globex}' }, 400, 'VALIDATION_FAILED'],
    ['enum not Title Case', 'post', '/companies', { name: 'A', industry: 'software', size_range: '1-10' }, 400, 'VALIDATION_FAILED'],
    ['missing field', 'post', '/deals', { title: 'x', amount: 1 }, 400, 'VALIDATION_FAILED'],
    ['negative amount', 'post', '/deals', { company_id: '{company}', title: 'x', amount: -5 }, 400, 'VALIDATION_FAILED'],
    ['fractional amount', 'post', '/deals', { company_id: '{company}', title: 'x', amount: 1.5 }, 400, 'VALIDATION_FAILED'],
    ['uuid field not a uuid', 'post', '/deals', { company_id: 'nope', title: 'x', amount: 1 }, 400, 'VALIDATION_FAILED'],
    ['empty patch', 'patch', '/companies/{company}', {}, 400, 'VALIDATION_FAILED'],
    ['array body', 'post', '/companies', [1, 2], 400, 'VALIDATION_FAILED'],
    ['bad stage', 'post', '/deals/{deal}/stage', { stage: 'Closed' }, 400, 'VALIDATION_FAILED'],
    ['stage skip', 'post', '/deals/{deal}/stage', { stage: 'Won' }, 409, 'DEAL_INVALID_TRANSITION'],
    ['malformed JSON', 'post', '/companies', '{"name": "A",', 400, 'MALFORMED_JSON'],
    ['malformed JSON on login', 'post', '/auth/login', '{"email":', 400, 'MALFORMED_JSON'],
    ['oversized body', 'post', '/companies', { name: 'x'.repeat(200_000), industry: 'Software', size_range: '1-10' }, 413, 'PAYLOAD_TOO_LARGE'],
    ['invalid uuid in path', 'get', '/companies/not-a-uuid', undefined, 400, 'INVALID_ID'],
    ['sql-ish id in path', 'delete', "/deals/1'%20OR%201=1", undefined, 400, 'INVALID_ID'],
    ['invalid uuid on write', 'patch', '/contacts/123', { first_name: 'A' }, 400, 'INVALID_ID'],
    ['bad percent-encoding', 'get', '/companies/%E0%A4%A', undefined, 400, 'VALIDATION_FAILED'],
    ['limit out of range', 'get', '/companies?limit=1000', undefined, 400, 'VALIDATION_FAILED'],
    ['limit not a number', 'get', '/deals?limit=abc', undefined, 400, 'VALIDATION_FAILED'],
    ['unknown query parameter', 'get', '/companies?sort=name', undefined, 400, 'VALIDATION_FAILED'],
    ['forged cursor', 'get', '/companies?cursor=garbage', undefined, 400, 'VALIDATION_FAILED'],
    ['bad enum in query', 'get', '/deals?stage=won', undefined, 400, 'VALIDATION_FAILED'],
    ['unknown route', 'get', '/nope', undefined, 404, 'ROUTE_NOT_FOUND'],
    ['short password', 'post', '/auth/register', { email: 'a@b.co', password: 'short', name: 'A', workspace_name: 'W' }, 400, 'VALIDATION_FAILED'],
    ['bad email', 'post', '/auth/login', { email: 'not-an-email', password: 'x' }, 400, 'VALIDATION_FAILED'],
  ];
  const fill = <T>(value: T): T =>
    typeof value === 'string'
      ? (value.replace('{company}', companyId).replace('{deal}', dealId).replace('{globex}', f.globexId) as T)
      : value && typeof value === 'object' && !Array.isArray(value)
        ? (Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)])) as T)
        : value;

  it.each(CASES)('%s', async (name, method, rawPath, rawBody, status, code) => {
    const [path, body] = [fill(rawPath), fill(rawBody)];
    let call = request(f.server)[method](path).set(f.as('admin'));
    if (typeof body === 'string') call = call.set('content-type', 'application/json').send(body);
    else if (body !== undefined) call = call.send(body);
    const response = await call;
    expect(response.status, `${name}: ${JSON.stringify(response.body)}`).toBe(status);
    const parsed = ErrorBody.parse(response.body);
    expect(parsed.code, name).toBe(code);
    expect(ERROR_CODES).toContain(parsed.code);
  });

  it('validation errors name the fields', async () => {
    const response = await request(f.server).post('/companies').set(f.as('admin')).send({ name: 42, industry: 'software', size_range: '1-10', extra: true });
    const paths = ErrorBody.parse(response.body).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'industry']));
    expect(response.body.message).toContain('name');
  });

  it('missing, malformed and forged tokens are 401 UNAUTHENTICATED', async () => {
    const forged = f.tokens.admin.slice(0, -4) + 'AAAA';
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: `Bearer ${forged}` }, { authorization: f.tokens.admin }]) {
      const response = await request(f.server).get('/companies').set(headers);
      expect([response.status, response.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    }
  });
});
