/**
 * Audit costs, against real PostgreSQL 17 and Redis (embedded unless DATABASE_URL / REDIS_URL):
 *  - audit-latency: p50 of an HTTP request whose service method carries @Audit vs the same
 *    request without it (Fastify, in-process inject; entries go through the queue as in production);
 *  - audit-ingest: sustained entries/s from `record` to rows in the table (in-process batches,
 *    BullMQ, the batch writer) vs a raw COPY of the same rows into the same table;
 *  - and one INSERT per entry, the naive writer, for scale.
 */
import 'reflect-metadata';
import { Audit, AuditModule, AuditService } from '@acme/nest-audit';
import { ContextService } from '@acme/nest-context';
import { startPostgres, startRedis } from '@acme/nest-testing';
import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { report } from './lib/measure.ts';

const WS = '0190a0b2-0000-7000-8000-00000000000a';
const postgres = await startPostgres();
const redis = await startRedis();
const pool = new pg.Pool({ connectionString: postgres.url, max: 4 });
pool.on('error', () => undefined);
await pool.query('DROP TABLE IF EXISTS audit_log CASCADE');

@Injectable()
class DealsService {
  @Audit({ action: 'Update', subject: 'Deal' })
  async updateAudited(id: string) {
    return { id, stage: 'Won' };
  }

  async updatePlain(id: string) {
    return { id, stage: 'Won' };
  }
}

@Controller()
class DealsController {
  constructor(@Inject(DealsService) private readonly deals: DealsService) {}
  @Get('audited') audited() {
    return this.deals.updateAudited('deal-1');
  }
  @Get('plain') plain() {
    return this.deals.updatePlain('deal-1');
  }
}

@Module({
  imports: [AuditModule.forRoot({ database: { pool }, queue: { connection: redis.url, prefix: 'bench' }, migrate: true })],
  controllers: [DealsController],
  providers: [DealsService],
})
class BenchModule {}

const app = await NestFactory.create<NestFastifyApplication>(BenchModule, new FastifyAdapter(), { logger: false, abortOnError: false });
await app.init();
await app.getHttpAdapter().getInstance().ready();
const audit = app.get(AuditService);
const count = async () => Number((await pool.query('SELECT count(*) AS n FROM audit_log')).rows[0].n);

// Latency: alternate the two routes in rounds; p50 of per-request times.
const samples = { audited: [] as number[], plain: [] as number[] };
for (let round = 0; round < 12; round++) {
  for (const route of round % 2 ? (['plain', 'audited'] as const) : (['audited', 'plain'] as const)) {
    for (let i = 0; i < 500; i++) {
      const start = process.hrtime.bigint();
      await app.inject({ method: 'GET', url: `/${route}` });
      if (round >= 2) samples[route].push(Number(process.hrtime.bigint() - start) / 1000);
    }
  }
}
const p50 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
await audit.flush();

// Ingest through the pipeline: record N entries as fast as the process can, time until all are rows.
const N = 50_000;
await pool.query('TRUNCATE audit_log');
const context = new ContextService();
const ingestStart = performance.now();
await context.run({ workspaceId: WS, actor: { kind: 'User', id: 'bench' } }, async () => {
  for (let i = 0; i < N; i++) {
    audit.recordNow({ action: 'Update', subject: 'Deal', subjectId: `deal-${i}`, metadata: { i }, before: { stage: 'New' }, after: { stage: 'Won' } });
    if (i % 5_000 === 4_999) await new Promise((resolve) => setImmediate(resolve)); // let batches leave
  }
  await audit.flush();
});
while ((await count()) < N) await new Promise((resolve) => setTimeout(resolve, 20));
const oursPerSecond = N / ((performance.now() - ingestStart) / 1000);

// Baseline: COPY of the same rows (the fastest way into Postgres).
const { rows: sample } = await pool.query('SELECT * FROM audit_log LIMIT $1', [N]);
await pool.query('TRUNCATE audit_log');
const csv = (value: unknown) => (value === null ? '\\N' : value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value));
const lines = sample.map((row) => Object.values(row).map((v) => csv(v).replace(/[\t\n\\]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\\\'))).join('\t'));
const copyStart = performance.now();
const client = await pool.connect();
await pipeline(Readable.from(lines.map((line) => `${line}\n`)), client.query(copyFrom(`COPY audit_log (${Object.keys(sample[0]!).join(', ')}) FROM STDIN`)));
client.release();
const copyPerSecond = N / ((performance.now() - copyStart) / 1000);

// For scale: one INSERT per entry (the naive writer), on a sample.
const SINGLE = 2_000;
await pool.query('TRUNCATE audit_log');
const singleStart = performance.now();
for (const row of sample.slice(0, SINGLE) as Record<string, unknown>[]) {
  const values = Object.values(row).map((v) => (v !== null && typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : v));
  await pool.query(`INSERT INTO audit_log (${Object.keys(row).join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`, values);
}
const singlePerSecond = SINGLE / ((performance.now() - singleStart) / 1000);

await app.close();
await pool.end();
await Promise.all([postgres.stop(), redis.stop()]);

console.log(`request p50 with @Audit ${p50(samples.audited).toFixed(1)} us, without ${p50(samples.plain).toFixed(1)} us`);
console.log(`ingest: pipeline ${oursPerSecond.toFixed(0)} entries/s, COPY ${copyPerSecond.toFixed(0)} rows/s, one INSERT per entry ${singlePerSecond.toFixed(0)} rows/s`);
report('audit-latency', p50(samples.audited), p50(samples.plain), 'us/request');
report('audit-ingest', oursPerSecond, copyPerSecond, 'entries/s');
report('audit-insert-per-entry', singlePerSecond, copyPerSecond, 'rows/s');
