import { createRedisNamespace, createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installConsumer, startConsumer, type RunningConsumer } from './support/consumer-app';
import { packPackages } from './support/pack-packages';

// Two outside apps install the packed packages like users do (npm, tarballs, no workspace links),
// boot, and serve one audited, tenant-scoped request against real PostgreSQL and Redis.
const WORKSPACE_A = '0b6f1f5e-0000-4000-8000-00000000000a';
const WORKSPACE_B = '0b6f1f5e-0000-4000-8000-00000000000b';
const USER = '0b6f1f5e-0000-4000-8000-0000000000aa';

const work = mkdtempSync(join(tmpdir(), 'acme-consumers-'));
let tarballs: Record<string, string>;

beforeAll(() => {
  tarballs = packPackages(join(work, 'tarballs'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each(['nest11-cjs', 'nest12-esm'] as const)('%s consumer', (name) => {
  let database: TestDatabase;
  let owner: pg.Client;
  let app: RunningConsumer;

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'consumer' });
    owner = new pg.Client({ connectionString: database.url });
    await owner.connect();
    await owner.query(`CREATE TABLE notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workspace_id uuid NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    const redis = await createRedisNamespace({ prefix: name });
    const dir = join(work, name);
    await installConsumer(name, dir, tarballs);
    app = await startConsumer(dir, { DATABASE_URL: database.url, REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix });
  });
  afterAll(async () => {
    await app?.stop();
    await owner?.end();
    await database?.drop();
  });

  const call = (method: string, path: string, workspace: string, body?: object) =>
    fetch(`${app.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-user-id': USER, 'x-workspace-id': workspace },
      body: body ? JSON.stringify(body) : undefined,
    });

  it('serves an audited, tenant-scoped request', async () => {
    const created = await call('POST', '/notes', WORKSPACE_A, { body: 'hello from a consumer' });
    expect(created.status, app.output()).toBe(201);
    const note = (await created.json()) as { id: string; body: string; created_at: string };
    expect(note).toMatchObject({ body: 'hello from a consumer' });
    expect((await owner.query('SELECT workspace_id FROM notes WHERE id = $1', [note.id])).rows).toEqual([{ workspace_id: WORKSPACE_A }]);

    expect((await call('GET', `/notes/${note.id}`, WORKSPACE_A)).status).toBe(200);
    expect((await call('GET', `/notes/${note.id}`, WORKSPACE_B)).status).toBe(404);

    const deadline = Date.now() + 15_000;
    let entries: { action: string; subject: string; status: string; workspace_id: string; actor_id: string; subject_id: string }[] = [];
    while (entries.length === 0 && Date.now() < deadline) {
      entries = (await owner.query("SELECT action, subject, status, workspace_id, actor_id, subject_id FROM audit_log WHERE subject = 'Note'")).rows;
      if (entries.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(entries).toEqual([{ action: 'Create', subject: 'Note', status: 'Success', workspace_id: WORKSPACE_A, actor_id: USER, subject_id: note.id }]);
  });

  it('denies what the ability does not allow', async () => {
    const response = await fetch(`${app.url}/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(401);
  });
});
