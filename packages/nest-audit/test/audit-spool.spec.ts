import { uuidv7 } from '@acme/nest-context';
import { createRedisNamespace, freePort } from '@acme/nest-testing';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditBatchJob } from '../src/audit-batch';
import type { AuditEntry } from '../src/audit-entry';
import { createAuditFixture, eventually, type AuditFixture } from './support/audit-fixture';
import { startDatabaseOutage } from './support/database-outage';
import { bootAuditApp, createNotes } from './support/notes-app';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const spoolerScript = fileURLToPath(new URL('./fixtures/audit-spooler.ts', import.meta.url));
const ORPHAN_AFTER_MS = 1_000;

function entry(subjectId: number, occurredAt = new Date()): AuditEntry {
  return {
    id: uuidv7(),
    occurredAt,
    workspaceId: null,
    actorKind: 'System',
    actorId: null,
    action: 'Import',
    subject: 'Contact',
    subjectId: String(subjectId),
    status: 'Success',
    errorCode: null,
    errorMessage: null,
    requestId: null,
    ip: null,
    userAgent: null,
    durationMs: 0,
    metadata: {},
    changes: {},
  };
}

async function writeFailures(): Promise<number> {
  const values = (await register.getSingleMetric('acme_audit_failures_total')?.get())?.values ?? [];
  return values.filter((value) => value.labels.stage === 'write').reduce((sum, value) => sum + value.value, 0);
}

describe('the spool and the outages it covers', () => {
  let fixture: AuditFixture;
  beforeAll(async () => {
    fixture = await createAuditFixture();
    fixture.pool.on('error', () => undefined); // idle sessions ended by the outage test
  });
  afterAll(() => fixture.close());
  beforeEach(() => fixture.clear());

  const stored = async (): Promise<{ total: number; distinct: number }> =>
    (await fixture.pool.query('SELECT count(*)::int AS total, count(DISTINCT subject_id)::int AS distinct FROM audit_log')).rows[0];

  it('a process killed with batches only in its spool: the next process with the directory stores them, once', async () => {
    const spoolDir = await mkdtemp(join(tmpdir(), 'audit-spool-next-'));
    const unreachable = `postgres://postgres@127.0.0.1:${await freePort()}/nowhere`;
    const spooler = spawn(process.execPath, ['--import', 'tsx', spoolerScript, unreachable, spoolDir, '45'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      spooler.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('spooled') && resolve());
      spooler.once('exit', (code) => reject(new Error(`the spooler exited with ${code}`)));
    });
    spooler.kill('SIGKILL');
    await new Promise((resolve) => spooler.once('exit', resolve));
    expect(await readdir(spoolDir)).toHaveLength(1);
    expect((await stored()).total).toBe(0);

    const next = await bootAuditApp({ database: { pool: fixture.pool }, spoolDir, spoolOrphanAfterMs: ORPHAN_AFTER_MS }, false);
    try {
      await eventually(async () => expect(await stored()).toEqual({ total: 45, distinct: 45 }), 15_000);
      await eventually(async () => expect(await readdir(spoolDir)).toEqual([]), 10_000);
    } finally {
      await next.close();
    }
  });

  it('recovers files a process died recovering, and spool files of earlier versions; leaves live files alone', async () => {
    const spoolDir = await mkdtemp(join(tmpdir(), 'audit-spool-orphans-'));
    const line = (entries: AuditEntry[]) => `${JSON.stringify(auditBatchJob(entries))}\n`;
    const old = new Date(Date.now() - 60_000);
    // A file another process claimed and died recovering.
    await writeFile(join(spoolDir, 'audit-0a1b2c3d-4.jsonl.recovering-5e6f7a8b'), line([entry(1), entry(2)]) + line([entry(3)]));
    // A spool file of an earlier version (an array of entries per line), claimed by a dead replayer.
    await writeFile(join(spoolDir, 'audit-4242-1700000000000.jsonl.replaying-4242'), `${JSON.stringify([entry(4), entry(5)])}\n`);
    for (const name of await readdir(spoolDir)) await utimes(join(spoolDir, name), old, old);
    // A live process's file (touched now) and a line cut short by a crash mid-append.
    await writeFile(join(spoolDir, 'audit-99999999-1.jsonl'), line([entry(6)]) + '{"v":1,"colu');

    const app = await bootAuditApp({ database: { pool: fixture.pool }, spoolDir, spoolOrphanAfterMs: 30_000 }, false);
    try {
      await eventually(async () => expect(await stored()).toEqual({ total: 5, distinct: 5 }));
      expect(await readdir(spoolDir)).toEqual(['audit-99999999-1.jsonl']);
      // Once nobody touches it, it is an orphan too; its torn last line is skipped.
      await utimes(join(spoolDir, 'audit-99999999-1.jsonl'), old, old);
      await eventually(async () => expect(await stored()).toEqual({ total: 6, distinct: 6 }), 10_000);
    } finally {
      await app.close();
    }
  });

  it('database down while Redis is up: the consumer retries and each entry is stored once', async () => {
    const { url, prefix } = await createRedisNamespace();
    const spoolDir = await mkdtemp(join(tmpdir(), 'audit-spool-dbdown-'));
    const api = await bootAuditApp({
      database: { pool: fixture.pool },
      spoolDir,
      queue: { connection: { url }, prefix, consumer: false },
      batch: { maxSize: 20, maxWaitMs: 1 },
    });
    const worker = await bootAuditApp(
      { database: { connectionString: fixture.database.url, max: 2 }, spoolDir, queue: { connection: { url }, prefix } },
      false,
    );
    try {
      const failuresBefore = await writeFailures();
      const outage = await startDatabaseOutage(fixture.database.url);
      await createNotes(api, 0, 100, { flush: true });
      // The consumer has tried and failed while the database was away.
      await eventually(async () => expect(await writeFailures()).toBeGreaterThan(failuresBefore));
      await outage.end();
      await eventually(async () => expect(await stored()).toEqual({ total: 100, distinct: 100 }), 20_000);
    } finally {
      await worker.close();
      await api.close();
    }
  });
});
