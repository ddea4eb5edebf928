import { ERROR_CODES, ErrorBody } from '@acme-examples/crm-contracts';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCrmFixture, type CrmFixture } from './support/fixture';
import { operationsOf, pathOf, sampleBody, takesId, UNUSED_ID, wrongTypeFor, type OpenApiDocument, type Operation } from './support/openapi-routes';

// Bad input gets a 4xx with a stable code from the contracts, never a 500.
type Case = [name: string, method: 'get' | 'post' | 'patch' | 'delete', path: string, body: string | object | undefined, status: number, code: string, headers?: Record<string, string>];

// Pinned here, so the oversized bodies are sized against the limit the app really runs with.
const BODY_LIMIT_BYTES = 100 * 1024;
const JSON_TYPE = { 'content-type': 'application/json' };
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };

describe('bad input', () => {
  let f: CrmFixture;
  let companyId: string;
  let dealId: string;

  beforeAll(async () => {
    f = await startCrmFixture({ BODY_LIMIT: '100kb' });
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
    ['text/plain body', 'post', '/companies', '{"name":"A","industry":"Software","size_range":"1-10"}', 415, 'UNSUPPORTED_MEDIA_TYPE', { 'content-type': 'text/plain' }],
    ['XML body', 'post', '/companies', '<company><name>A</name></company>', 415, 'UNSUPPORTED_MEDIA_TYPE', { 'content-type': 'application/xml' }],
    ['a +json type the API does not read', 'patch', '/companies/{company}', '{"name":"A"}', 415, 'UNSUPPORTED_MEDIA_TYPE', { 'content-type': 'application/merge-patch+json' }],
    ['unsupported charset', 'post', '/companies', '{"name":"A"}', 415, 'UNSUPPORTED_MEDIA_TYPE', { 'content-type': 'application/json; charset=latin1' }],
    ['unsupported content-encoding', 'post', '/companies', '{"name":"A"}', 415, 'UNSUPPORTED_MEDIA_TYPE', { ...JSON_TYPE, 'content-encoding': 'x-unknown' }],
    ['body not in its content-encoding', 'post', '/companies', '{"name":"A"}', 400, 'VALIDATION_FAILED', { ...JSON_TYPE, 'content-encoding': 'gzip' }],
    ['JSON null body', 'post', '/companies', 'null', 400, 'MALFORMED_JSON'],
    ['urlencoded number field is not coerced', 'post', '/deals', 'company_id={company}&title=Form%20deal&amount=5', 400, 'VALIDATION_FAILED', FORM_TYPE],
    ['urlencoded repeated field', 'post', '/companies', 'name=A&name=B&industry=Software&size_range=1-10', 400, 'VALIDATION_FAILED', FORM_TYPE],
    ['urlencoded bracket key stays a plain unknown key', 'post', '/companies', 'name[first]=A&industry=Software&size_range=1-10', 400, 'VALIDATION_FAILED', FORM_TYPE],
    ['short password', 'post', '/auth/register', { email: 'a@b.co', password: 'short', name: 'A', workspace_name: 'W' }, 400, 'VALIDATION_FAILED'],
    ['bad email', 'post', '/auth/login', { email: 'not-an-email', password: 'x' }, 400, 'VALIDATION_FAILED'],
  ];
  const fill = <T>(value: T): T =>
    typeof value === 'string'
      ? (value.replace('{company}', companyId).replace('{deal}', dealId).replace('{globex}', f.globexId) as T)
      : value && typeof value === 'object' && !Array.isArray(value)
        ? (Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)])) as T)
        : value;

  it.each(CASES)('%s', async (name, method, rawPath, rawBody, status, code, headers) => {
    const [path, body] = [fill(rawPath), fill(rawBody)];
    let call = request(f.server)[method](path).set(f.as('admin'));
    if (typeof body === 'string') call = call.set(headers ?? JSON_TYPE).send(body);
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

  it('urlencoded body on a JSON route is read as its fields', async () => {
    const response = await request(f.server).post('/companies').set(f.as('admin')).type('form').send('name=Form%20Co&industry=Software&size_range=11-50');
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.body).toMatchObject({ name: 'Form Co', industry: 'Software', size_range: '11-50', status: 'Lead' });
  });

  it('a body exactly at the limit is read, one byte more is 413 PAYLOAD_TOO_LARGE', async () => {
    const bodyOf = (bytes: number) => {
      const frame = JSON.stringify({ name: '', industry: 'Software', size_range: '1-10' });
      return JSON.stringify({ name: 'x'.repeat(bytes - frame.length), industry: 'Software', size_range: '1-10' });
    };
    const send = (body: string) => request(f.server).post('/companies').set(f.as('admin')).set(JSON_TYPE).send(body);
    expect(Buffer.byteLength(bodyOf(BODY_LIMIT_BYTES))).toBe(BODY_LIMIT_BYTES);
    // Read, then refused by validation (name is at most 200 characters), not by the parser.
    expect(outcome(await send(bodyOf(BODY_LIMIT_BYTES)))).toBe('400 VALIDATION_FAILED name');
    expect(outcome(await send(bodyOf(BODY_LIMIT_BYTES + 1)))).toBe('413 PAYLOAD_TOO_LARGE');
  });

  describe('every route of the OpenAPI document', () => {
    let operations: Operation[];
    const idRoutes = () => operations.filter(takesId);
    const bodyRoutes = () => operations.filter((operation) => operation.body);
    const writeRoutes = () => operations.filter((operation) => ['post', 'put', 'patch'].includes(operation.method));

    beforeAll(async () => {
      operations = operationsOf((await request(f.server).get('/docs-json').expect(200)).body as OpenApiDocument);
    });

    /** One request per operation, in turn; the answers keyed by route, for one exact comparison. */
    const sweep = async (list: Operation[], send: (operation: Operation) => Promise<request.Response>) => {
      const answers: Record<string, string> = {};
      for (const operation of list) answers[operation.route] = outcome(await send(operation));
      return answers;
    };
    const each = (list: Operation[], answer: string | ((operation: Operation) => string)) =>
      Object.fromEntries(list.map((operation) => [operation.route, typeof answer === 'string' ? answer : answer(operation)]));
    const call = (operation: Operation, segment = UNUSED_ID) => request(f.server)[operation.method](pathOf(operation, segment)).set(f.as('admin'));
    /** A valid body for the operation (or none), so the only thing wrong is what a test puts there. */
    const withSample = (operation: Operation, segment?: string) => {
      const pending = call(operation, segment);
      return operation.body ? pending.send(sampleBody(operation.body)) : pending;
    };

    // Guards the sweeps below against passing on an empty list (a document that lost its paths).
    it('lists the id, body and write routes the sweeps cover', () => {
      expect(idRoutes().length).toBeGreaterThanOrEqual(13);
      expect(bodyRoutes().length).toBeGreaterThanOrEqual(14);
      expect(writeRoutes().length).toBeGreaterThanOrEqual(14);
    });

    it('a well-formed id nobody has is 404 NOT_FOUND on every id route (the control of the invalid ids)', async () => {
      expect(await sweep(idRoutes(), (operation) => withSample(operation))).toEqual(each(idRoutes(), '404 NOT_FOUND'));
    });

    const INVALID_IDS: [name: string, segment: string][] = [
      ['a word', 'not-a-uuid'],
      ['a number', '123'],
      ['SQL', encodeURIComponent("1' OR '1'='1")],
      ['one digit short', UNUSED_ID.slice(0, -1)],
      ['one character more', `${UNUSED_ID}0`],
      ['in braces', `%7B${UNUSED_ID}%7D`],
      ['without dashes', UNUSED_ID.replaceAll('-', '')],
      ['not hex', UNUSED_ID.replaceAll('0', 'z')],
      ['a trailing space', `${UNUSED_ID}%20`],
      ['an encoded slash', `${UNUSED_ID.slice(0, 18)}%2F${UNUSED_ID.slice(19)}`],
      ['a NUL byte', '%00'],
      ['2,000 characters', 'x'.repeat(2000)],
    ];
    it.each(INVALID_IDS)('an invalid id (%s) is 400 INVALID_ID on every id route and method', async (_name, segment) => {
      expect(await sweep(idRoutes(), (operation) => withSample(operation, segment))).toEqual(each(idRoutes(), '400 INVALID_ID'));
    });

    // null: no content-type header at all. The bodies are JSON text (a Buffer, so supertest adds no type of its own).
    const UNREAD_TYPES = ['text/plain', 'application/xml', 'multipart/form-data; boundary=sweep', 'application/octet-stream', null];
    it.each(UNREAD_TYPES)('a body of a type the API does not read (%s) is 415 UNSUPPORTED_MEDIA_TYPE on every body route', async (type) => {
      const answers = await sweep(bodyRoutes(), (operation) => {
        const pending = call(operation);
        return (type === null ? pending : pending.set('content-type', type)).send(Buffer.from(JSON.stringify(sampleBody(operation.body!))));
      });
      expect(answers).toEqual(each(bodyRoutes(), '415 UNSUPPORTED_MEDIA_TYPE'));
    });

    it('an urlencoded body gets the JSON body’s answer, or 400 VALIDATION_FAILED where a field is not a string', async () => {
      const asJson = await sweep(bodyRoutes(), (operation) => withSample(operation));
      expect(Object.values(asJson).filter((answer) => Number.parseInt(answer) >= 500)).toEqual([]);
      // Form fields are strings: a number or boolean field fails validation (no coercion), the rest reads as JSON does.
      const onlyStrings = (operation: Operation) => Object.values(sampleBody(operation.body!)).every((value) => typeof value === 'string');
      const asForm = await sweep(bodyRoutes(), (operation) => call(operation).type('form').send(sampleBody(operation.body!) as Record<string, string>));
      expect(asForm).toEqual(each(bodyRoutes(), (operation) => (onlyStrings(operation) ? asJson[operation.route]! : `400 VALIDATION_FAILED ${firstNonString(operation)}`)));
    });

    it('an oversized body is 413 PAYLOAD_TOO_LARGE on every write route, JSON or urlencoded', async () => {
      const pad = 'x'.repeat(BODY_LIMIT_BYTES + 1);
      expect(await sweep(writeRoutes(), (operation) => call(operation).set(JSON_TYPE).send(JSON.stringify({ pad })))).toEqual(each(writeRoutes(), '413 PAYLOAD_TOO_LARGE'));
      expect(await sweep(writeRoutes(), (operation) => call(operation).type('form').send(`pad=${pad}`))).toEqual(each(writeRoutes(), '413 PAYLOAD_TOO_LARGE'));
    });

    it('a field of the wrong JSON type is 400 VALIDATION_FAILED naming it, on every body route', async () => {
      const field = (operation: Operation) => Object.keys(sampleBody(operation.body!))[0]!;
      const answers = await sweep(bodyRoutes(), (operation) => {
        const body = sampleBody(operation.body!);
        return call(operation).send({ ...body, [field(operation)]: wrongTypeFor(body[field(operation)]) });
      });
      expect(answers).toEqual(each(bodyRoutes(), (operation) => `400 VALIDATION_FAILED ${field(operation)}`));
    });

    it('an array for the body is 400 VALIDATION_FAILED on every body route', async () => {
      expect(await sweep(bodyRoutes(), (operation) => call(operation).send([sampleBody(operation.body!)]))).toEqual(each(bodyRoutes(), '400 VALIDATION_FAILED (body)'));
    });

    it('an unknown field is 400 VALIDATION_FAILED naming it, on every body route', async () => {
      const answers = await sweep(bodyRoutes(), async (operation) => {
        const response = await call(operation).send({ ...sampleBody(operation.body!), tenant_override: 'x' });
        expect(response.body.message, operation.route).toContain('tenant_override');
        return response;
      });
      expect(answers).toEqual(each(bodyRoutes(), '400 VALIDATION_FAILED (body)'));
    });
  });
});

/** The first field of the operation's sample body that is not a string. */
function firstNonString(operation: Operation): string {
  return Object.entries(sampleBody(operation.body!)).find(([, value]) => typeof value !== 'string')![0];
}

/**
 * `201`, or `400 VALIDATION_FAILED name,industry`: the status, and for an error its contract code
 * and the fields its issues name. An error body outside the contract fails the test here.
 */
function outcome(response: request.Response): string {
  if (response.status < 400) return String(response.status);
  const body = ErrorBody.parse(response.body);
  expect(body.statusCode).toBe(response.status);
  const paths = [...new Set(body.issues.map((issue) => issue.path))].sort().join(',');
  return [response.status, body.code, paths].filter(Boolean).join(' ');
}
