import { ERROR_CODES, ErrorBody } from '@acme-examples/crm-contracts';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCrmFixture, type CrmFixture } from './support/fixture';
import { operationsOf, pathOf, sampleBody, takesId, UNUSED_ID, wrongTypeFor, type OpenApiDocument, type Operation } from './support/openapi-routes';
import { rawRequest } from './support/raw-http';

// Bad input gets a 4xx with a stable code from the contracts, never a 500.
type Case = [
  name: string,
  method: 'get' | 'post' | 'patch' | 'delete',
  path: string,
  body: string | object | undefined,
  status: number,
  code: string,
  headers?: Record<string, string>,
];

// Pinned here, so the oversized bodies are sized against the limit the app really runs with.
const BODY_LIMIT_BYTES = 100 * 1024;
const JSON_TYPE = { 'content-type': 'application/json' };
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };

describe('bad input', () => {
  let f: CrmFixture;
  let companyId: string;
  let dealId: string;

  beforeAll(async () => {
    // The sweeps sign in with wrong passwords hundreds of times from one address.
    f = await startCrmFixture({ BODY_LIMIT: '100kb', LOGIN_IP_LIMIT: '1000000', LOGIN_EMAIL_LIMIT: '1000000' });
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
    [
      'text/plain body',
      'post',
      '/companies',
      '{"name":"A","industry":"Software","size_range":"1-10"}',
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      { 'content-type': 'text/plain' },
    ],
    ['XML body', 'post', '/companies', '<company><name>A</name></company>', 415, 'UNSUPPORTED_MEDIA_TYPE', { 'content-type': 'application/xml' }],
    [
      'a +json type the API does not read',
      'patch',
      '/companies/{company}',
      '{"name":"A"}',
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      { 'content-type': 'application/merge-patch+json' },
    ],
    ['unsupported charset', 'post', '/companies', '{"name":"A"}', 415, 'UNSUPPORTED_MEDIA_TYPE', { 'content-type': 'application/json; charset=latin1' }],
    ['unsupported content-encoding', 'post', '/companies', '{"name":"A"}', 415, 'UNSUPPORTED_MEDIA_TYPE', { ...JSON_TYPE, 'content-encoding': 'x-unknown' }],
    ['body not in its content-encoding', 'post', '/companies', '{"name":"A"}', 400, 'VALIDATION_FAILED', { ...JSON_TYPE, 'content-encoding': 'gzip' }],
    ['JSON null body', 'post', '/companies', 'null', 400, 'MALFORMED_JSON'],
    ['urlencoded number field is not coerced', 'post', '/deals', 'company_id={company}&title=Form%20deal&amount=5', 400, 'VALIDATION_FAILED', FORM_TYPE],
    ['urlencoded repeated field', 'post', '/companies', 'name=A&name=B&industry=Software&size_range=1-10', 400, 'VALIDATION_FAILED', FORM_TYPE],
    [
      'urlencoded bracket key stays a plain unknown key',
      'post',
      '/companies',
      'name[first]=A&industry=Software&size_range=1-10',
      400,
      'VALIDATION_FAILED',
      FORM_TYPE,
    ],
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

    let document: OpenApiDocument;
    beforeAll(async () => {
      document = (await request(f.server).get('/docs-json').expect(200)).body as OpenApiDocument;
      operations = operationsOf(document);
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
      const asForm = await sweep(bodyRoutes(), (operation) =>
        call(operation)
          .type('form')
          .send(sampleBody(operation.body!) as Record<string, string>),
      );
      expect(asForm).toEqual(
        each(bodyRoutes(), (operation) => (onlyStrings(operation) ? asJson[operation.route]! : `400 VALIDATION_FAILED ${firstNonString(operation)}`)),
      );
    });

    it('an oversized body is 413 PAYLOAD_TOO_LARGE on every write route, JSON or urlencoded', async () => {
      const pad = 'x'.repeat(BODY_LIMIT_BYTES + 1);
      expect(await sweep(writeRoutes(), (operation) => call(operation).set(JSON_TYPE).send(JSON.stringify({ pad })))).toEqual(
        each(writeRoutes(), '413 PAYLOAD_TOO_LARGE'),
      );
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
      expect(await sweep(bodyRoutes(), (operation) => call(operation).send([sampleBody(operation.body!)]))).toEqual(
        each(bodyRoutes(), '400 VALIDATION_FAILED (body)'),
      );
    });

    it('an unknown field is 400 VALIDATION_FAILED naming it, on every body route', async () => {
      const answers = await sweep(bodyRoutes(), async (operation) => {
        const response = await call(operation).send({ ...sampleBody(operation.body!), tenant_override: 'x' });
        expect(response.body.message, operation.route).toContain('tenant_override');
        return response;
      });
      expect(answers).toEqual(each(bodyRoutes(), '400 VALIDATION_FAILED (body)'));
    });

    describe('NUL and odd unicode', () => {
      /** The query parameters the document lists for the operation. */
      const queryOf = (operation: Operation): string[] => {
        const parameters = (document.paths[operation.path]![operation.method] as { parameters?: { name: string; in: string }[] }).parameters ?? [];
        return parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name);
      };
      const queryRoutes = () => operations.filter((operation) => queryOf(operation).length > 0);
      const stringFields = (operation: Operation) =>
        Object.entries(sampleBody(operation.body!))
          .filter(([, value]) => typeof value === 'string')
          .map(([name]) => name);
      /** Answers that are a 5xx, keyed by what was sent: the sweeps below expect none. */
      const serverErrors = (answers: Record<string, string>) =>
        Object.fromEntries(Object.entries(answers).filter(([, answer]) => Number.parseInt(answer) >= 500));

      it('lists the query routes the sweeps cover, GET /audit among them', () => {
        expect(queryRoutes().map((operation) => operation.route)).toEqual(
          expect.arrayContaining(['GET /companies', 'GET /contacts', 'GET /deals', 'GET /audit']),
        );
        expect(queryOf(operations.find((operation) => operation.route === 'GET /audit')!)).toEqual(expect.arrayContaining(['subject', 'subject_id', 'action']));
      });

      it('NUL in any string field of the body is 400 INVALID_CHARACTERS naming it, on every body route, JSON or urlencoded', async () => {
        const answers: Record<string, string> = {};
        const expected: Record<string, string> = {};
        for (const operation of bodyRoutes()) {
          const body = sampleBody(operation.body!);
          const fields = stringFields(operation);
          expect(fields.length, operation.route).toBeGreaterThan(0);
          for (const field of fields) {
            const label = `${operation.route} ${field}`;
            answers[label] = outcome(await call(operation).send({ ...body, [field]: `a\u0000${String(body[field])}` }));
            const form = new URLSearchParams(body as Record<string, string>).toString().replace(`${field}=`, `${field}=%00`);
            answers[`${label} (urlencoded)`] = outcome(await call(operation).type('form').send(form));
            expected[label] = expected[`${label} (urlencoded)`] = `400 INVALID_CHARACTERS body.${field}`;
          }
        }
        expect(answers).toEqual(expected);
      });

      it('NUL in a key of the body, or deep inside it, is 400 INVALID_CHARACTERS on every body route', async () => {
        const key = await sweep(bodyRoutes(), (operation) => call(operation).send({ ...sampleBody(operation.body!), 'x\u0000': 1 }));
        expect(key).toEqual(each(bodyRoutes(), '400 INVALID_CHARACTERS body.x\\u0000'));
        const deep = await sweep(bodyRoutes(), (operation) => call(operation).send({ ...sampleBody(operation.body!), nested: [{ a: ['\u0000'] }] }));
        expect(deep).toEqual(each(bodyRoutes(), '400 INVALID_CHARACTERS body.nested.0.a.0'));
      });

      it('NUL in any query parameter the document lists (or one it does not) is 400 INVALID_CHARACTERS', async () => {
        const answers: Record<string, string> = {};
        for (const operation of queryRoutes()) {
          for (const name of [...queryOf(operation), 'unlisted'])
            answers[`${operation.route}?${name}`] = outcome(await withSample(operation).query(`${name}=a%00b`));
        }
        expect(Object.keys(answers)).toEqual(expect.arrayContaining(['GET /companies?q', 'GET /audit?subject', 'GET /audit?action', 'GET /audit?subject_id']));
        expect(answers).toEqual(Object.fromEntries(Object.keys(answers).map((key) => [key, `400 INVALID_CHARACTERS query.${key.split('?')[1]}`])));
        // In a parameter's name too, on every route whatever its method.
        expect(await sweep(operations, (operation) => withSample(operation).query('a%00=1'))).toEqual(
          each(operations, '400 INVALID_CHARACTERS query.a\\u0000'),
        );
      });

      it('NUL in a path parameter is 400 INVALID_CHARACTERS on every id route, before the id is read', async () => {
        for (const segment of ['%00', `${UNUSED_ID}%00`, `${UNUSED_ID.slice(0, 8)}%00${UNUSED_ID.slice(9)}`, '%00%E0%A4%A']) {
          expect(await sweep(idRoutes(), (operation) => withSample(operation, segment)), segment).toEqual(each(idRoutes(), '400 INVALID_CHARACTERS path'));
        }
      });

      // Node's HTTP client refuses to send these headers: they go over a raw socket.
      const HEADERS = ['authorization', 'x-request-id', 'x-workspace-id', 'user-agent'];
      it.each(HEADERS)('NUL in the %s header is 400 INVALID_CHARACTERS on every route', async (header) => {
        const answers: Record<string, string> = {};
        for (const operation of operations) {
          const value = header === 'authorization' ? `${f.as('admin').authorization}\u0000` : 'a\u0000b';
          const response = await rawRequest(f.server, operation.method.toUpperCase(), pathOf(operation, UNUSED_ID), { ...f.as('admin'), [header]: value });
          answers[operation.route] = `${response.status} ${ErrorBody.parse(response.body).code}`;
        }
        expect(answers).toEqual(each(operations, '400 INVALID_CHARACTERS'));
      });

      // Text PostgreSQL stores (or a validator refuses): each is a 2xx or a 4xx with a contract code wherever it goes.
      const ODD_TEXT: [name: string, value: string][] = [
        ['a lone high surrogate', 'a\ud800b'],
        ['a lone low surrogate', '\udfffz'],
        ['a right-to-left override', 'abc\u202edef'],
        ['zero-width characters and a BOM', 'a\u200b\u200c\u200d\ufeffb'],
        ['emoji with joiners and modifiers', '👩‍👩‍👧‍👦🏳️‍🌈👍🏽'],
        ['stacked combining marks', 'Z̷̢͓̈a̶̰͗l̸̙̀g̵̣̈́o'],
        ['control characters', 'a\u0001\u0007\u001b[31m\u007fb'],
        ['backslashes and LIKE wildcards', '\\%_\\'],
        ['SQL', "x'; DROP TABLE companies; --"],
        ['10,000 characters', 'é'.repeat(10_000)],
      ];
      /** UTF-8 percent-encoding (lone surrogates as the raw bytes of a surrogate: not UTF-8 at all). */
      const encoded = (value: string) =>
        [...value]
          .map((c) =>
            /^[\ud800-\udfff]$/.test(c)
              ? `%ED%${(0xa0 | ((c.charCodeAt(0) >> 6) & 0x1f)).toString(16).toUpperCase()}%${(0x80 | (c.charCodeAt(0) & 0x3f)).toString(16).toUpperCase()}`
              : encodeURIComponent(c),
          )
          .join('');
      // Bytes that are not UTF-8, in URLs: an overlong NUL (a NUL to lax decoders), a lone continuation byte, invalid bytes.
      const ODD_BYTES: [name: string, segment: string][] = [
        ['an overlong NUL', 'a%C0%80b'],
        ['a lone continuation byte', 'a%80b'],
        ['bytes UTF-8 never uses', '%FF%FE'],
      ];

      it.each(ODD_TEXT)('%s in any string field of the body is never a 5xx, on every body route', async (_name, value) => {
        const answers: Record<string, string> = {};
        for (const operation of bodyRoutes()) {
          for (const field of stringFields(operation))
            answers[`${operation.route} ${field}`] = outcome(await call(operation).send({ ...sampleBody(operation.body!), [field]: value }));
        }
        expect(Object.keys(answers).length).toBeGreaterThanOrEqual(bodyRoutes().length);
        expect(serverErrors(answers)).toEqual({});
      });

      const URL_TEXT: [name: string, segment: string][] = [
        ...ODD_TEXT.map(([name, value]): [string, string] => [name, encoded(name === '10,000 characters' ? 'a'.repeat(10_000) : value)]),
        ...ODD_BYTES,
      ];
      it.each(URL_TEXT)('%s in any query parameter is never a 5xx, on every query route', async (_name, segment) => {
        const answers: Record<string, string> = {};
        for (const operation of queryRoutes()) {
          for (const name of queryOf(operation)) answers[`${operation.route}?${name}`] = outcome(await withSample(operation).query(`${name}=${segment}`));
        }
        expect(serverErrors(answers)).toEqual({});
      });

      it.each(URL_TEXT)('%s in a path parameter is 400 INVALID_ID on every id route (VALIDATION_FAILED when it does not decode)', async (_name, segment) => {
        const decodes = (() => {
          try {
            decodeURIComponent(segment);
            return true;
          } catch {
            return false;
          }
        })();
        expect(await sweep(idRoutes(), (operation) => withSample(operation, segment))).toEqual(
          each(idRoutes(), decodes ? '400 INVALID_ID' : '400 VALIDATION_FAILED'),
        );
      });

      it.each(HEADERS)('odd text in the %s header is never a 5xx, on every route', async (header) => {
        const answers: Record<string, string> = {};
        for (const operation of operations) {
          for (const [name, value] of ODD_TEXT) {
            const headers = { ...f.as('admin'), [header]: header === 'authorization' ? `Bearer ${value}` : value };
            const response = await rawRequest(f.server, operation.method.toUpperCase(), pathOf(operation, UNUSED_ID), headers);
            answers[`${operation.route} ${name}`] = String(response.status);
          }
        }
        expect(serverErrors(answers)).toEqual({});
      });

      it('odd text is stored and read back as sent (a lone surrogate as U+FFFD: UTF-8 has no surrogates)', async () => {
        const name = 'abc\u202edef 👩‍👩‍👧‍👦 a\u200bb Z̷̢͓̈a';
        const created = await request(f.server).post('/companies').set(f.as('admin')).send({ name, industry: 'Software', size_range: '1-10' }).expect(201);
        expect((await request(f.server).get(`/companies/${created.body.id}`).set(f.as('admin')).expect(200)).body.name).toBe(name);
        const lone = await request(f.server)
          .post('/companies')
          .set(f.as('admin'))
          .send({ name: 'a\ud800b', industry: 'Software', size_range: '1-10' })
          .expect(201);
        expect((await request(f.server).get(`/companies/${lone.body.id}`).set(f.as('admin')).expect(200)).body.name).toBe('a\ufffdb');
      });
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
