import { ContextModule } from '@acme/nest-context';
import { createRedisNamespace, createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { Module, type INestApplicationContext, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditModule, type AuditModuleOptions } from '@acme/nest-audit';
import { AuditCheckpointer } from '../src/integrity/audit-checkpointer';
import { checkpointKeyId, signCheckpoint, verifyCheckpointSignature, type AuditCheckpoint } from '../src/integrity/checkpoint';
import { migrateAudit } from '../src/storage/audit-migration';
import { eventually } from './support/audit-fixture';

const WS_A = '0190a0b2-0000-7000-8000-0000000000a1';
const WS_B = '0190a0b2-0000-7000-8000-0000000000b2';
const NIL = '00000000-0000-0000-0000-000000000000';
const hashOf = (text: string) => createHash('sha256').update(text).digest();

describe('checkpoint signatures', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const fields = { workspaceId: WS_A, seq: 42, hash: hashOf('x').toString('hex'), createdAt: '2026-12-03T10:00:00.123Z' };

  it('signs the documented bytes with Ed25519, verifiable with the public key alone', () => {
    const checkpoint = signCheckpoint(fields, privateKey);
    const bytes = Buffer.from(`acme-audit-checkpoint/1\n${WS_A}\n42\n${fields.hash}\n2026-12-03T10:00:00.123Z`, 'utf8');
    expect(verify(null, bytes, publicKey, Buffer.from(checkpoint.signature, 'base64'))).toBe(true);
    expect(verifyCheckpointSignature(checkpoint, publicKey)).toBe(true);
    expect(verifyCheckpointSignature(checkpoint, publicKey.export({ type: 'spki', format: 'pem' }) as string)).toBe(true);
    // The default key id: the first 16 hex of sha256 over the public key (SPKI DER).
    const der = publicKey.export({ type: 'spki', format: 'der' });
    expect(checkpoint.keyId).toBe(createHash('sha256').update(der).digest('hex').slice(0, 16));
    expect(checkpointKeyId(publicKey)).toBe(checkpoint.keyId);
    expect(checkpointKeyId(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)).toBe(checkpoint.keyId);
    expect(signCheckpoint(fields, privateKey, 'ops-2026').keyId).toBe('ops-2026');
  });

  it('a changed field, another key or a malformed signature does not verify (false, never a throw)', () => {
    const checkpoint = signCheckpoint(fields, privateKey);
    for (const changed of [{ seq: 43 }, { workspaceId: WS_B }, { hash: hashOf('y').toString('hex') }, { createdAt: '2026-12-03T10:00:00.124Z' }]) {
      expect(verifyCheckpointSignature({ ...checkpoint, ...changed }, publicKey)).toBe(false);
    }
    expect(verifyCheckpointSignature(checkpoint, generateKeyPairSync('ed25519').publicKey)).toBe(false);
    for (const signature of ['', 'not base64!', 'AAAA', `${checkpoint.signature}AAAA`, '\u0000'.repeat(88)]) {
      expect(verifyCheckpointSignature({ ...checkpoint, signature }, publicKey)).toBe(false);
    }
    expect(verifyCheckpointSignature({ ...checkpoint, signature: undefined as never }, publicKey)).toBe(false);
  });

  it('refuses keys that are not Ed25519 with AUDIT_INVALID_SIGNING_KEY', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const codeOf = (run: () => unknown) => {
      try {
        run();
        return 'no error';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect(codeOf(() => signCheckpoint(fields, rsa.privateKey))).toBe('AUDIT_INVALID_SIGNING_KEY');
    expect(codeOf(() => signCheckpoint(fields, 'not a pem'))).toBe('AUDIT_INVALID_SIGNING_KEY');
    expect(codeOf(() => signCheckpoint(fields, publicKey))).toBe('AUDIT_INVALID_SIGNING_KEY');
    expect(codeOf(() => verifyCheckpointSignature(signCheckpoint(fields, privateKey), rsa.publicKey))).toBe('AUDIT_INVALID_SIGNING_KEY');
  });
});

describe('checkpoint rounds (PostgreSQL)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  let database: TestDatabase;
  let pool: pg.Pool;
  let spoolDir: string;
  const apps: INestApplicationContext[] = [];

  /** Boots the module; `publish` and the warnings are the test's. */
  async function boot(extra: Partial<AuditModuleOptions> & { checkpoints?: object } = {}) {
    const warnings: string[] = [];
    const logger: LoggerService = {
      log() {},
      error: (m: unknown) => void warnings.push(String(m)),
      debug() {},
      verbose() {},
      warn: (m: unknown) => void warnings.push(String(m)),
    };
    const { checkpoints, ...rest } = extra;
    const options: AuditModuleOptions = {
      database: { pool },
      spoolDir,
      ...rest,
      integrity: { chain: true, checkpoints: { signingKey: privateKey, everyMs: 3_600_000, ...checkpoints } },
    };
    @Module({ imports: [ContextModule.forRoot(), AuditModule.forRoot(options)] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger, abortOnError: false });
    apps.push(app);
    return { app, checkpointer: app.get(AuditCheckpointer), warnings };
  }
  /** Moves a workspace's chain head (as the writer does when it commits a batch). */
  const moveHead = (workspaceId: string, seq: number) =>
    pool.query(
      `INSERT INTO audit_log_chain_heads (workspace_id, seq, hash) VALUES ($1, $2, $3)
       ON CONFLICT (workspace_id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, updated_at = now()`,
      [workspaceId, seq, hashOf(`${workspaceId}:${seq}`)],
    );
  const stored = async () =>
    (
      await pool.query(
        `SELECT workspace_id::text AS ws, seq::int AS seq, kind, published_at IS NOT NULL AS published FROM audit_log_checkpoints ORDER BY workspace_id, seq`,
      )
    ).rows;

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'audit_checkpoints' });
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    spoolDir = await mkdtemp(join(tmpdir(), 'audit-checkpoints-spool-'));
    await migrateAudit(pool, { timescale: false });
  });
  beforeEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await pool.query('DELETE FROM audit_log_checkpoints; DELETE FROM audit_log_chain_heads');
  });
  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close();
    await pool?.end();
    await database?.drop();
  });

  it('signs a checkpoint only for the heads that moved since their last one, verifiable with the public key', async () => {
    const { checkpointer } = await boot();
    await moveHead(WS_A, 3);
    await moveHead(WS_B, 5);
    await moveHead(NIL, 1); // entries without a workspace chain under the nil UUID
    await pool.query(`INSERT INTO audit_log_chain_heads (workspace_id, seq, hash) VALUES ($1, 0, $2)`, [
      '0190a0b2-0000-7000-8000-0000000000c3',
      Buffer.alloc(32),
    ]);

    const first = await checkpointer.checkpoint();
    expect(first.map((c) => [c.workspaceId, c.seq])).toEqual([
      [NIL, 1],
      [WS_A, 3],
      [WS_B, 5],
    ]);
    for (const checkpoint of first) {
      expect(checkpoint.hash).toBe(hashOf(`${checkpoint.workspaceId}:${checkpoint.seq}`).toString('hex'));
      expect(checkpoint.keyId).toBe(checkpointKeyId(publicKey));
      expect(verifyCheckpointSignature(checkpoint, publicKey.export({ type: 'spki', format: 'pem' }) as string)).toBe(true);
    }
    // Stored as they were signed: the row reads back to a checkpoint that verifies.
    const row = (await pool.query(`SELECT hash, created_at, key_id, signature FROM audit_log_checkpoints WHERE workspace_id = $1`, [WS_A])).rows[0];
    const readBack: AuditCheckpoint = {
      workspaceId: WS_A,
      seq: 3,
      hash: row.hash.toString('hex'),
      createdAt: row.created_at.toISOString(),
      keyId: row.key_id,
      signature: row.signature.toString('base64'),
    };
    expect(verifyCheckpointSignature(readBack, publicKey)).toBe(true);

    expect(await checkpointer.checkpoint()).toEqual([]); // nothing moved
    await moveHead(WS_A, 4);
    expect((await checkpointer.checkpoint()).map((c) => [c.workspaceId, c.seq])).toEqual([[WS_A, 4]]);
    expect((await stored()).map((r) => [r.ws, r.seq, r.kind])).toEqual([
      [NIL, 1, 'Checkpoint'],
      [WS_A, 3, 'Checkpoint'],
      [WS_A, 4, 'Checkpoint'],
      [WS_B, 5, 'Checkpoint'],
    ]);
  });

  it('publishes every new checkpoint once; a publish that throws is logged and the same checkpoints are offered again next round', async () => {
    const published: AuditCheckpoint[][] = [];
    let failures = 1;
    const { checkpointer, warnings } = await boot({
      checkpoints: {
        publish: async (batch: AuditCheckpoint[]) => {
          if (failures-- > 0) throw new Error('bucket unreachable');
          published.push(batch);
        },
      },
    });
    await moveHead(WS_A, 7);
    const made = await checkpointer.checkpoint(); // stored, but the publish fails
    expect(made).toHaveLength(1);
    expect(published).toEqual([]);
    expect(warnings.some((w) => /Publishing 1 audit checkpoints failed; they are offered again next round: Error: bucket unreachable/.test(w))).toBe(true);
    expect((await stored()).map((r) => r.published)).toEqual([false]);

    await moveHead(WS_B, 2);
    await checkpointer.checkpoint(); // the one that failed, then the new one
    expect(published.flat().map((c) => [c.workspaceId, c.seq])).toEqual([
      [WS_A, 7],
      [WS_B, 2],
    ]);
    expect(published.flat()[0]).toEqual(made[0]);
    expect(published.flat().every((c) => verifyCheckpointSignature(c, publicKey))).toBe(true);
    expect((await stored()).map((r) => r.published)).toEqual([true, true]);

    await checkpointer.checkpoint();
    expect(published.flat()).toHaveLength(2); // published ones are not offered again
  });

  it('without a queue, rounds run on a timer every everyMs', async () => {
    const published: AuditCheckpoint[] = [];
    await boot({ checkpoints: { everyMs: 1_000, publish: (batch: AuditCheckpoint[]) => void published.push(...batch) } });
    await moveHead(WS_A, 1);
    await eventually(async () => expect(published.map((c) => c.seq)).toEqual([1]));
    await moveHead(WS_A, 2);
    await eventually(async () => expect(published.map((c) => c.seq)).toEqual([1, 2]));
  });

  it('with a queue, rounds run as a job scheduler on the audit queue, in the consumer', async () => {
    const { url, prefix } = await createRedisNamespace();
    const published: AuditCheckpoint[] = [];
    const { app } = await boot({
      queue: { connection: { url }, prefix, allowVolatileRedis: true },
      batch: { maxWaitMs: 1 },
      checkpoints: { everyMs: 1_000, publish: (batch: AuditCheckpoint[]) => void published.push(...batch) },
    });
    const queue = new Queue('audit-write', { connection: { url }, prefix });
    try {
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => [s.key, s.name, s.every])).toEqual([['acme-audit:checkpoint', 'task:checkpoint', 1_000]]);
      await moveHead(WS_B, 9);
      await eventually(async () => expect(published.map((c) => [c.workspaceId, c.seq])).toEqual([[WS_B, 9]]));
    } finally {
      await queue.close();
      await app.close();
      apps.splice(apps.indexOf(app), 1);
    }
  });
});
