import { createRedisNamespace, createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeDependencies, installConsumer, startConsumer, type ConsumerName, type RunningConsumer } from './support/consumer-app';
import { packPackages } from './support/pack-packages';

// Two outside apps install the packed packages the way users do (npm, tarballs, no workspace
// links), compile with tsc, boot, and serve one audited, tenant-scoped request against real
// PostgreSQL and Redis: NestJS 11 as CommonJS, NestJS 12 as ESM.
const APPS = {
  'nest11-cjs': { nest: 11, cls: 6, moduleSystem: 'commonjs' },
  'nest12-esm': { nest: 12, cls: 7, moduleSystem: 'module' },
} as const satisfies Record<ConsumerName, { nest: number; cls: number; moduleSystem: string }>;

const WORKSPACE_A = '0b6f1f5e-0000-4000-8000-00000000000a';
const WORKSPACE_B = '0b6f1f5e-0000-4000-8000-00000000000b';
const USER = '0b6f1f5e-0000-4000-8000-0000000000aa';

// A fresh folder outside the workspace (npm would otherwise find the workspace's node_modules);
// nothing in it outlives the run.
const work = mkdtempSync(join(tmpdir(), 'acme-consumers-'));
const installs = new Map<ConsumerName, Promise<void>>();

beforeAll(async () => {
  const names = [...new Set(Object.keys(APPS).flatMap((name) => acmeDependencies(name as ConsumerName)))];
  const tarballs = await packPackages(names, join(work, 'tarballs'));
  // Both installs run at once (mostly network and disk); each app's suite waits for its own.
  for (const name of Object.keys(APPS) as ConsumerName[]) {
    const install = installConsumer(name, join(work, name), tarballs);
    install.catch(() => {}); // reported by the app's own beforeAll
    installs.set(name, install);
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each(Object.keys(APPS) as ConsumerName[])('%s consumer', (name) => {
  const expected = APPS[name];
  const dir = join(work, name);
  let database: TestDatabase;
  let owner: pg.Client;
  let app: RunningConsumer;

  beforeAll(async () => {
    await installs.get(name);
    database = await createTestDatabase({ prefix: 'consumer' });
    owner = new pg.Client({ connectionString: database.url });
    await owner.connect();
    await owner.query(`CREATE TABLE notes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL,
      body text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      indexed_at timestamptz,
      indexed_for text
    )`);
    const redis = await createRedisNamespace({ prefix: name });
    app = await startConsumer(dir, { DATABASE_URL: database.url, REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix });
  });
  afterAll(async () => {
    await app?.stop();
    await owner?.end();
    await database?.drop();
  });

  const call = (method: string, path: string, headers: Record<string, string>, body?: object) =>
    fetch(`${app.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
  const as = (workspace: string, extra: Record<string, string> = {}) => ({ 'x-user-id': USER, 'x-workspace-id': workspace, ...extra });

  type AuditRow = { action: string; subject: string; status: string; workspace_id: string; actor_id: string; subject_id: string | null; request_id: string; error_code: string | null };
  const auditEntries = async (requestId: string, count: number): Promise<AuditRow[]> => {
    const deadline = Date.now() + 20_000;
    let rows: AuditRow[] = [];
    while (Date.now() < deadline) {
      rows = (
        await owner.query(
          `SELECT action, subject, status, workspace_id, actor_id, subject_id, request_id, error_code
             FROM audit_log WHERE request_id = $1 ORDER BY occurred_at, action`,
          [requestId],
        )
      ).rows;
      if (rows.length >= count) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return rows;
  };

  it(`installed the packed packages with NestJS ${expected.nest} and nestjs-cls ${expected.cls}, and ran as ${expected.moduleSystem}`, () => {
    const installed = (pkg: string) => JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8'));
    expect(Number(installed('@nestjs/core').version.split('.')[0])).toBe(expected.nest);
    expect(Number(installed('@nestjs/common').version.split('.')[0])).toBe(expected.nest);
    expect(Number(installed('nestjs-cls').version.split('.')[0])).toBe(expected.cls);
    for (const pkg of acmeDependencies(name)) {
      const path = join(dir, 'node_modules', pkg);
      // Unpacked from the tarball, not a link into the workspace; internal ranges rewritten on pack.
      expect(lstatSync(path).isSymbolicLink(), `${pkg} is a link`).toBe(false);
      expect(readFileSync(join(path, 'package.json'), 'utf8')).not.toContain('workspace:');
      expect(existsSync(join(path, 'src')), `${pkg} ships src/`).toBe(false);
      // One copy of each: a nested second copy would split the DI tokens the packages share.
      expect(existsSync(join(path, 'node_modules', '@acme')), `${pkg} has nested @acme copies`).toBe(false);
    }
    const compiled = readFileSync(join(dir, 'dist', 'main.js'), 'utf8');
    if (expected.moduleSystem === 'commonjs') expect(compiled).toMatch(/require\("@acme\/nest-audit"\)/);
    else expect(compiled).toMatch(/from '@acme\/nest-audit'/);
    expect(app.moduleSystem).toBe(expected.moduleSystem);
  });

  it('serves an audited, tenant-scoped request; another workspace gets 404', async () => {
    const requestId = `${name}-create`;
    const created = await call('POST', '/notes', as(WORKSPACE_A, { 'x-request-id': requestId }), { body: 'hello from a consumer' });
    expect(created.status, app.output()).toBe(201);
    const note = (await created.json()) as { id: string; body: string; created_at: string };
    expect(note).toEqual({ id: expect.any(String), body: 'hello from a consumer', created_at: expect.any(String) });
    expect((await owner.query('SELECT workspace_id, body FROM notes WHERE id = $1', [note.id])).rows).toEqual([
      { workspace_id: WORKSPACE_A, body: 'hello from a consumer' },
    ]);

    const own = await call('GET', `/notes/${note.id}`, as(WORKSPACE_A));
    expect(own.status, app.output()).toBe(200);
    expect(await own.json()).toEqual(note);
    expect((await call('GET', `/notes/${note.id}`, as(WORKSPACE_B))).status, app.output()).toBe(404);

    // The service call, then the queued job that ran in the request's context (same workspace,
    // actor and request id), each audited once.
    const entries = await auditEntries(requestId, 2);
    expect(entries, app.output()).toEqual([
      { action: 'Create', subject: 'Note', status: 'Success', workspace_id: WORKSPACE_A, actor_id: USER, subject_id: note.id, request_id: requestId, error_code: null },
      { action: 'Index', subject: 'Note', status: 'Success', workspace_id: WORKSPACE_A, actor_id: USER, subject_id: note.id, request_id: requestId, error_code: null },
    ]);
    const [indexed] = (await owner.query('SELECT indexed_at IS NOT NULL AS indexed, indexed_for FROM notes WHERE id = $1', [note.id])).rows;
    expect(indexed).toEqual({ indexed: true, indexed_for: requestId });
  });

  it('denies what the ability does not allow, and audits the denial', async () => {
    const anonymous = await call('POST', '/notes', {}, { body: 'nobody' });
    expect(anonymous.status, app.output()).toBe(401);

    const requestId = `${name}-denied`;
    const denied = await call('POST', '/notes', as(WORKSPACE_A, { 'x-role': 'Viewer', 'x-request-id': requestId }), { body: 'read only' });
    expect(denied.status, app.output()).toBe(403);
    expect((await owner.query("SELECT count(*)::int AS n FROM notes WHERE body = 'read only'")).rows).toEqual([{ n: 0 }]);
    const entries = await auditEntries(requestId, 1);
    expect(entries, app.output()).toEqual([
      expect.objectContaining({ action: 'Create', subject: 'Note', status: 'Failure', workspace_id: WORKSPACE_A, actor_id: USER, request_id: requestId }),
    ]);
  });
});
