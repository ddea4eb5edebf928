/**
 * audit-verify: entries verified per second by AuditIntegrityService.verify on one workspace's
 * chain of N entries (real PostgreSQL 17, embedded unless DATABASE_URL), against a plain keyset
 * read of the same rows by chain position, in pages of the same size, without hashing: the ratio
 * is what recomputing the hashes and personal digests costs on top of reading. Rounds alternate
 * which goes first; the median round of each side is reported.
 */
import 'reflect-metadata';
import { AuditIntegrityService, AuditModule, AuditService } from '@acme/nest-audit';
import { ContextModule, ContextService } from '@acme/nest-context';
import { startPostgres } from '@acme/nest-testing';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { median, report } from './lib/measure.ts';

const WS = '0190a0b2-0000-7000-8000-00000000000a';
const N = Number(process.env.AUDIT_VERIFY_ROWS ?? 50_000);
const PAGE = 2_000; // verify's page size
const ROUNDS = 7;

const postgres = await startPostgres();
const pool = new pg.Pool({ connectionString: postgres.url, max: 4 });
pool.on('error', () => undefined);
await pool.query('DROP TABLE IF EXISTS audit_log CASCADE');

@Module({ imports: [ContextModule.forRoot(), AuditModule.forRoot({ database: { pool }, migrate: true, metrics: false, integrity: { chain: true } })] })
class BenchModule {}
const app = await NestFactory.createApplicationContext(BenchModule, { logger: false, abortOnError: false });
const audit = app.get(AuditService);
const integrity = app.get(AuditIntegrityService);

// N entries shaped like an app's: a change with a personal field, metadata, an actor and request data.
const writeStart = performance.now();
await new ContextService().run({ workspaceId: WS, actor: { kind: 'User', id: 'bench-user' } }, async () => {
  for (let i = 0; i < N; i++) {
    audit.recordNow({
      action: 'Update',
      subject: 'Contact',
      subjectId: `contact-${i}`,
      metadata: { source: 'api', i },
      before: { email: `old-${i}@example.com`, stage: 'New' },
      after: { email: `new-${i}@example.com`, stage: 'Won' },
    });
    if (i % 5_000 === 4_999) await new Promise((resolve) => setImmediate(resolve));
  }
  await audit.flush();
});
console.log(`(wrote ${N} chained entries in ${(performance.now() - writeStart).toFixed(0)} ms)`);

const COLUMNS =
  '"id"::text AS "id", "occurred_at", "workspace_id"::text AS "workspace_id", "actor_kind", "actor_id", "action", "subject", "subject_id", "status", "error_code", ' +
  '"error_message", "request_id", "ip", "user_agent", "duration_ms", "metadata", "changes", "chain_seq", "chain_hash", "personal_digest", "personal_salt", "personal_paths"';
/** The baseline: the same keyset walk (same columns, same page size, one snapshot), rows only read. */
const plainRead = async (): Promise<number> => {
  const client = await pool.connect();
  let read = 0;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    let after = ['0', '00000000-0000-0000-0000-000000000000'];
    for (;;) {
      const { rows } = await client.query(
        `SELECT ${COLUMNS} FROM audit_log WHERE "workspace_id" = $1::uuid AND "chain_seq" >= 1 AND "chain_seq" >= $2::bigint AND ("chain_seq", "id") > ($2::bigint, $3::uuid) ORDER BY "chain_seq", "id" LIMIT ${PAGE}`,
        [WS, ...after],
      );
      read += rows.length;
      if (rows.length < PAGE) break;
      const last = rows[rows.length - 1];
      after = [last.chain_seq, last.id];
    }
    await client.query('ROLLBACK');
  } finally {
    client.release();
  }
  return read;
};

const perSecond = async (run: () => Promise<number>): Promise<number> => {
  const start = performance.now();
  const entries = await run();
  if (entries !== N) throw new Error(`read ${entries} entries, expected ${N}`);
  return entries / ((performance.now() - start) / 1000);
};
const verify = async () => {
  const result = await integrity.verify({ workspaceId: WS });
  if (!result.ok) throw new Error(`verification failed: ${JSON.stringify(result.problems.slice(0, 3))}`);
  return result.checked;
};

await perSecond(verify); // warm-up of both sides
await perSecond(plainRead);
const rounds = { ours: [] as number[], baseline: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    rounds.ours.push(await perSecond(verify));
    rounds.baseline.push(await perSecond(plainRead));
  } else {
    rounds.baseline.push(await perSecond(plainRead));
    rounds.ours.push(await perSecond(verify));
  }
}

await app.close();
await pool.end();
await postgres.stop();

console.log(`verify: ${median(rounds.ours).toFixed(0)} entries/s; plain keyset read of the same rows: ${median(rounds.baseline).toFixed(0)} rows/s (N=${N})`);
report('audit-verify', median(rounds.ours), median(rounds.baseline), 'entries/s', 'higher', rounds);
