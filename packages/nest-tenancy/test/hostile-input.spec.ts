// Hostile input is normal input: whatever a client puts in the header, path, token or body that
// tenancy reads (the workspace id, the user id, an id for findOneOrThrow) is answered with a 4xx
// and a stable code before it reaches Postgres, never with a 500 from the database.
import { ContextModule } from '@acme/nest-context';
import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { sql } from 'drizzle-orm';
import { bigint, integer, pgTable, smallint, text } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CurrentWorkspace, TenancyGuard, TenancyModule, TenantDb, tenantPolicySql, workspaceColumn } from '@acme/nest-tenancy';
import { bearer, HTTP_ADAPTERS, startHttpApp, type HttpTestApp } from '@acme/nest-testing';
import { FakeJwtGuard } from './support/fake-jwt.guard';
import { createTenancyFixture, WS_A, WS_B, type TenancyFixture } from './support/database';

/** A text primary key (a slug) and integer ones of each width: ids that are not UUIDs. */
const tags = pgTable('tags', { slug: text('slug').primaryKey(), workspaceId: workspaceColumn(), label: text('label').notNull() });
const invoices = pgTable('invoices', { number: integer('number').primaryKey(), workspaceId: workspaceColumn() });
const shelves = pgTable('shelves', { number: smallint('number').primaryKey(), workspaceId: workspaceColumn(), label: text('label') });
const ledgers = pgTable('ledgers', { number: bigint('number', { mode: 'number' }).primaryKey(), workspaceId: workspaceColumn() });

const DDL = [
  'CREATE TABLE tags (slug text PRIMARY KEY, workspace_id uuid NOT NULL, label text NOT NULL)',
  'CREATE TABLE invoices (number integer PRIMARY KEY, workspace_id uuid NOT NULL)',
  'CREATE TABLE shelves (number smallint PRIMARY KEY, workspace_id uuid NOT NULL, label text)',
  'CREATE TABLE ledgers (number bigint PRIMARY KEY, workspace_id uuid NOT NULL)',
  ...['tags', 'invoices', 'shelves', 'ledgers'].flatMap((table) => tenantPolicySql(table)),
];

@Controller()
class LookupController {
  constructor(private readonly db: TenantDb) {}

  @Get('whoami')
  whoami(@CurrentWorkspace() workspaceId: string) {
    return { workspaceId };
  }

  @Get('in/:workspaceId/whoami')
  whoamiByPath(@CurrentWorkspace() workspaceId: string) {
    return { workspaceId };
  }

  @Get('tags/:slug')
  tag(@Param('slug') slug: string) {
    return this.db.findOneOrThrow(tags, slug);
  }

  /** Ids in a JSON body can be anything JSON can carry: unpaired surrogates, objects, booleans. */
  @Post('tags/lookup')
  lookup(@Body() body: { slug: string }) {
    return this.db.findOneOrThrow(tags, body.slug);
  }

  @Get('invoices/:number')
  invoice(@Param('number') number: string) {
    return this.db.findOneOrThrow(invoices, number);
  }

  @Post('invoices/delete')
  deleteInvoice(@Body() body: { number: number }) {
    return this.db.deleteOrThrow(invoices, body.number);
  }

  @Get('shelves/:number')
  shelf(@Param('number') number: string) {
    return this.db.updateOrThrow(shelves, number, { label: 'Checked' });
  }

  @Get('ledgers/:number')
  ledger(@Param('number') number: string) {
    return this.db.findOneOrThrow(ledgers, number);
  }
}

describe.each(HTTP_ADAPTERS)('hostile input to tenancy (%s)', (adapter) => {
  let fixture: TenancyFixture;
  let members: pg.Pool;
  let http: HttpTestApp;

  const user = (sub: unknown, workspace: string = WS_A) => ({ ...bearer({ sub }), 'x-workspace-id': workspace });
  const as = (headers: Record<string, string>) => ({ headers });
  const get = (path: string, headers: Record<string, string> = user('user-1')) =>
    http.request('GET', path, as(headers)).then(({ status, body }) => ({ status, body }));
  const post = (path: string, body: unknown) => http.request('POST', path, { headers: user('user-1'), body }).then(({ status, body }) => ({ status, body }));

  beforeAll(async () => {
    fixture = await createTenancyFixture();
    members = new pg.Pool({ connectionString: fixture.database.url, max: 2 });
    for (const statement of [
      ...DDL,
      `GRANT SELECT, INSERT, UPDATE, DELETE ON tags, invoices, shelves, ledgers TO "${fixture.appRole}"`,
      `INSERT INTO memberships (workspace_id, user_id) VALUES ('${WS_A}', 'user-1'), ('${WS_B}', 'user-1')`,
      `INSERT INTO tags (slug, workspace_id, label) VALUES ('vip', '${WS_A}', 'VIP'), ('a\uFFFD', '${WS_A}', 'Replacement')`,
      `INSERT INTO invoices (number, workspace_id) VALUES (1, '${WS_A}')`,
    ]) {
      await members.query(statement);
    }
    @Module({
      imports: [
        ContextModule.forRoot(),
        TenancyModule.forRoot({
          db: fixture.app,
          rls: true,
          // The workspace from a path parameter when the route has one, else from a header.
          resolveWorkspace: (request) => (request.params as Record<string, string> | undefined)?.workspaceId ?? (request.headers['x-workspace-id'] as string),
          // Membership as most apps check it: a query with the user id and the workspace id.
          isMember: async ({ userId, workspaceId }) =>
            (await members.query('SELECT 1 FROM memberships WHERE workspace_id = $1 AND user_id = $2', [workspaceId, userId])).rowCount === 1,
        }),
      ],
      controllers: [LookupController],
      providers: [
        { provide: APP_GUARD, useClass: FakeJwtGuard },
        { provide: APP_GUARD, useClass: TenancyGuard },
      ],
    })
    class AppModule {}
    http = await startHttpApp(AppModule, adapter);
  });
  afterAll(async () => {
    await http?.close();
    await members?.end();
    await fixture?.close();
  });

  const INVALID_WORKSPACE = { status: 400, body: { statusCode: 400, code: 'TENANCY_WORKSPACE_INVALID', message: expect.any(String) } };
  const INVALID_USER = { status: 401, body: { statusCode: 401, code: 'TENANCY_USER_INVALID', message: expect.any(String) } };
  const notFound = (table: string) => ({ status: 404, body: { statusCode: 404, code: 'TENANCY_NOT_FOUND', message: `${table} not found.` } });

  it('a workspace header that is not a UUID is a 400: percent-encoded NUL, very long, Latin-1, padded', async () => {
    for (const workspace of ['%00', '%2500', 'a'.repeat(8_000), `${WS_A}\u00e9`, `${WS_A}x`, `${WS_A},${WS_B}`, 'null']) {
      expect(await get('/whoami', user('user-1', workspace)), JSON.stringify(workspace.slice(0, 40))).toEqual(INVALID_WORKSPACE);
    }
  });

  it('a workspace path parameter with NUL, invisible or look-alike characters is a 400', async () => {
    for (const segment of ['%00', `${WS_A}%00`, `%E2%80%8B${WS_A}`, `${WS_A.slice(0, -1)}%EF%BC%A1`, '%F0%9F%98%80', `${WS_A}%0A`]) {
      expect(await get(`/in/${segment}/whoami`), segment).toEqual(INVALID_WORKSPACE);
    }
  });

  it('an upper-case workspace id is the same workspace, spelt once: lower case', async () => {
    expect(await get(`/in/${WS_A.toUpperCase()}/whoami`)).toEqual({ status: 200, body: { workspaceId: WS_A } });
    expect(await get('/whoami', user('user-1', WS_B.toUpperCase()))).toEqual({ status: 200, body: { workspaceId: WS_B } });
  });

  it('a user id with NUL, control, invisible or unpaired characters, or too long, is a 401 before the membership query', async () => {
    for (const sub of ['user-1\u0000', '\u0000', 'user-1\n', 'user\u200b-1', '\u202euser-1', 'user-1\ud800', '\udc00', 'u'.repeat(257), '', 1.5, 2 ** 60]) {
      expect(await get('/whoami', user(sub)), JSON.stringify(sub).slice(0, 40)).toEqual(INVALID_USER);
    }
    // What is still accepted: any printable id up to 256 characters, astral characters included.
    await members.query(`INSERT INTO memberships (workspace_id, user_id) VALUES ($1, $2), ($1, $3), ($1, '42')`, [WS_A, 'u'.repeat(256), 'ünïcødé-😀']);
    for (const sub of ['u'.repeat(256), 'ünïcødé-😀', 42]) expect((await get('/whoami', user(sub))).status).toBe(200);
  });

  it('findOneOrThrow on a text key: NUL in the id is a 404 (no row can hold it), not a database error', async () => {
    expect(await get('/tags/vip')).toMatchObject({ status: 200, body: { label: 'VIP' } });
    for (const slug of ['%00', 'vip%00', `${'x'.repeat(90)}%00`]) expect(await get(`/tags/${slug}`), slug).toEqual(notFound('tags'));
  });

  it('findOneOrThrow on a text key from a JSON body: an unpaired surrogate does not alias U+FFFD; non-strings are 404s', async () => {
    expect(await post('/tags/lookup', { slug: 'a\uFFFD' })).toMatchObject({ status: 201, body: { label: 'Replacement' } });
    for (const slug of ['a\ud800', 'a\udfff', 'vip\u0000', { $ne: null }, ['vip'], true, null]) {
      expect(await post('/tags/lookup', { slug }), JSON.stringify(slug)).toEqual(notFound('tags'));
    }
  });

  it('findOneOrThrow, updateOrThrow, deleteOrThrow on integer keys: not an integer of the column’s range is a 404', async () => {
    expect(await get('/invoices/1')).toMatchObject({ status: 200, body: { number: 1 } });
    for (const number of ['abc', '%00', '1%00', '1.5', '1e3', '%EF%BC%91', '2147483648', '-2147483649', '9'.repeat(40), '%20%201']) {
      expect(await get(`/invoices/${number}`), number).toEqual(notFound('invoices'));
    }
    for (const number of ['32768', '-32769', 'x']) expect(await get(`/shelves/${number}`), number).toEqual(notFound('shelves'));
    for (const number of ['9223372036854775808', '-9223372036854775809', '1.0']) expect(await get(`/ledgers/${number}`), number).toEqual(notFound('ledgers'));
    for (const number of [Number.MAX_SAFE_INTEGER + 2, 2 ** 31, 0.5, '1; drop table invoices', { number: 1 }]) {
      expect(await post('/invoices/delete', { number }), JSON.stringify(number)).toEqual(notFound('invoices'));
    }
    // The edges of each range are still looked up (and simply not found).
    for (const [path, table] of [
      ['/invoices/2147483647', 'invoices'],
      ['/invoices/-2147483648', 'invoices'],
      ['/shelves/32767', 'shelves'],
      ['/ledgers/9223372036854775807', 'ledgers'],
    ]) {
      expect(await get(path!), path).toEqual(notFound(table!));
    }
    const [{ count }] = (await fixture.admin.execute(sql`select count(*)::int as count from invoices`)).rows as [{ count: number }];
    expect(count).toBe(1);
  });
});
