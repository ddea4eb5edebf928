/**
 * Audit costs, against real PostgreSQL 17 and Redis (embedded unless DATABASE_URL / REDIS_URL):
 *  - audit-latency: p50 of an HTTP request whose service method carries @Audit vs the same
 *    request without it (Fastify, in-process inject; entries go through the queue as in production);
 *  - audit-ingest: sustained entries/s from `record` to rows in the table (in-process batches,
 *    BullMQ, the batch writer in its own worker process, as deployed) vs a raw COPY of the same
 *    rows into the same table: 12 rounds (INGEST_ROUNDS) of 20,000 entries after a warm-up round
 *    of each side, alternating which goes first, with the writer process's peak RSS in each round;
 *  - and one INSERT per entry, the naive writer, for scale (a STRAWMAN line, not a BENCH line: it is not ours);
 *  - audit-ingest-chained: the same path with integrity.chain on (the worker hash-chains every
 *    entry per workspace) vs off, in alternating rounds of the same run; with it, the CPU time
 *    each worker process spent per entry (Linux), a figure a busy machine disturbs less.
 * AUDIT_BENCH_CPU_PROF=<dir> writes a CPU profile of the chained worker there (node --cpu-prof).
 */
import 'reflect-metadata';
import { Audit, AuditModule, AuditService } from '@acme/nest-audit';
import { ContextService, ContextModule, uuidv7 } from '@acme/nest-context';
import { startPostgres, startRedis } from '@acme/nest-testing';
import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { compareInterleaved, median, report } from './lib/measure.ts';
import { rssMb } from './lib/http-mix-processes.ts';

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
  // As deployed: the API process produces batches; a worker process (below) writes them.
  imports: [
    ContextModule.forRoot(),
    AuditModule.forRoot({ database: { pool }, queue: { connection: { url: redis.url }, prefix: 'bench', consumer: false }, migrate: true }),
  ],
  controllers: [DealsController],
  providers: [DealsService],
})
class BenchModule {}

const profileDir = process.env.AUDIT_BENCH_CPU_PROF;
const startWorker = async (prefix: string, chain = false) => {
  const profile = chain && profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const worker = spawn(
    process.execPath,
    [
      ...process.execArgv,
      ...profile,
      fileURLToPath(new URL('./lib/audit-worker.ts', import.meta.url)),
      postgres.url,
      redis.url,
      prefix,
      ...(chain ? ['chain'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    worker.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    worker.once('exit', (code) => reject(new Error(`audit worker exited with ${code}`)));
  });
  return worker;
};
const app = await NestFactory.create<NestFastifyApplication>(BenchModule, new FastifyAdapter(), { logger: false, abortOnError: false });
const worker = await startWorker('bench');
await app.init();
await app.getHttpAdapter().getInstance().ready();
const audit = app.get(AuditService);

// Latency: the two routes interleaved request by request (compareInterleaved), p50 of each.
const latency = await compareInterleaved(
  () => app.inject({ method: 'GET', url: '/audited' }),
  () => app.inject({ method: 'GET', url: '/plain' }),
);
await audit.flush();

// Ingest, ours vs COPY, in rounds: each round records ROUND entries of a workspace of its own
// and waits until they are all rows (counted through the workspace index: no TRUNCATE between
// rounds, which would make producers re-send batches they had not yet confirmed), then COPYs
// ROUND rows of the same shape (fresh ids, another fresh workspace) into the same table. One
// warm-up round of each first; rounds alternate which side goes first.
const context = new ContextService();
const ROUND = 20_000;
const INGEST_ROUNDS = Number(process.env.INGEST_ROUNDS ?? 12);
const stored = async (workspaceId: string) =>
  Number((await pool.query('SELECT count(*) AS n FROM audit_log WHERE workspace_id = $1', [workspaceId])).rows[0].n);
/** The highest resident memory of `pid` (MB) seen every 50 ms while `work` runs. */
const peakRss = async <T>(pid: number, work: () => Promise<T>): Promise<{ result: T; rssMb: number }> => {
  let peak = rssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
  try {
    const result = await work();
    return { result, rssMb: Math.max(peak, rssMb(pid)) };
  } finally {
    clearInterval(timer);
  }
};
/** Entries/s from `recordNow` of ROUND entries to the last of them stored. */
const ingestOnce = async (producer: AuditService, workspaceId = randomUUID()): Promise<number> => {
  const start = performance.now();
  await context.run({ workspaceId, actor: { kind: 'User', id: 'bench' } }, async () => {
    for (let i = 0; i < ROUND; i++) {
      producer.recordNow({ action: 'Update', subject: 'Deal', subjectId: `deal-${i}`, metadata: { i }, before: { stage: 'New' }, after: { stage: 'Won' } });
      if (i % 5_000 === 4_999) await new Promise((resolve) => setImmediate(resolve)); // let batches leave
    }
    await producer.flush();
  });
  while ((await stored(workspaceId)) < ROUND) await new Promise((resolve) => setTimeout(resolve, 10));
  return ROUND / ((performance.now() - start) / 1000);
};

const templateWorkspace = randomUUID();
await ingestOnce(audit, templateWorkspace); // warm-up of ours, and the rows COPY sends
const { rows: sample } = await pool.query('SELECT * FROM audit_log WHERE workspace_id = $1', [templateWorkspace]);
const columns = Object.keys(sample[0]!);
// COPY text format: tab-separated, \N for NULL, backslash escapes inside values.
const escape = (text: string) => text.replace(/[\t\n\\]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\\\'));
const field = (value: unknown) =>
  value === null ? '\\N' : escape(value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value));
/**
 * Rows/s of one COPY of the sample's rows into a fresh workspace, each with a fresh UUIDv7 id as
 * the writer makes them (time-ordered: random ids would be slower to index), lines built before timing.
 */
const copyOnce = async (): Promise<number> => {
  const workspaceId = randomUUID();
  const lines = sample.map(
    (row) => `${columns.map((column) => field(column === 'id' ? uuidv7() : column === 'workspace_id' ? workspaceId : row[column])).join('\t')}\n`,
  );
  const start = performance.now();
  const client = await pool.connect();
  try {
    await pipeline(Readable.from(lines), client.query(copyFrom(`COPY audit_log (${columns.join(', ')}) FROM STDIN`)));
  } finally {
    client.release();
  }
  return ROUND / ((performance.now() - start) / 1000);
};
await copyOnce(); // warm-up of the baseline
const ingest = { ours: [] as number[], baseline: [] as number[] };
const writerRss: number[] = [];
for (let round = 0; round < INGEST_ROUNDS; round++) {
  const runOurs = async () => {
    const { result, rssMb } = await peakRss(worker.pid!, () => ingestOnce(audit));
    ingest.ours.push(result);
    writerRss.push(rssMb);
  };
  const runCopy = async () => void ingest.baseline.push(await copyOnce());
  if (round % 2 === 0) await runOurs().then(runCopy);
  else await runCopy().then(runOurs);
}
console.log(`(writer process RSS while ingesting, peak per round: ${writerRss.map((mb) => mb.toFixed(0)).join(', ')} MB)`);

// For scale: one INSERT per entry (the naive writer), on part of the sample.
const SINGLE = 2_000;
const singleWorkspace = randomUUID();
const singleStart = performance.now();
for (const row of sample.slice(0, SINGLE) as Record<string, unknown>[]) {
  const values = columns.map((column) => {
    const value = column === 'id' ? uuidv7() : column === 'workspace_id' ? singleWorkspace : row[column];
    return value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value;
  });
  await pool.query(`INSERT INTO audit_log (${columns.join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`, values);
}
const singlePerSecond = SINGLE / ((performance.now() - singleStart) / 1000);

// Chain on vs off: the same path (producer, queue, worker process), one worker of each kind on a
// queue of its own, rounds alternating which goes first; entries/s per round, median of each side.
@Module({
  imports: [
    ContextModule.forRoot(),
    AuditModule.forRoot({ database: { pool }, queue: { connection: { url: redis.url }, prefix: 'bench-chain', consumer: false } }),
  ],
})
class ChainedProducerModule {}
const chainedApp = await NestFactory.createApplicationContext(ChainedProducerModule, { logger: false, abortOnError: false });
const chainedWorker = await startWorker('bench-chain', true);
/** CPU time (user + system, ms) a process has used so far; undefined where /proc cannot tell. */
const cpuMs = (pid: number | undefined): number | undefined => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
};
const workerCpu = new Map<AuditService, number>();
const ingestRound = async (producer: AuditService, measured = true): Promise<number> => {
  const pid = (producer === audit ? worker : chainedWorker).pid;
  const cpuBefore = cpuMs(pid);
  try {
    return await ingestOnce(producer);
  } finally {
    const cpuAfter = cpuMs(pid);
    if (measured && cpuBefore !== undefined && cpuAfter !== undefined) workerCpu.set(producer, (workerCpu.get(producer) ?? 0) + cpuAfter - cpuBefore);
  }
};
const chainedAudit = chainedApp.get(AuditService);
await ingestRound(chainedAudit, false); // warm-up of both sides
await ingestRound(audit, false);
const chainRounds = { ours: [] as number[], baseline: [] as number[] };
for (let round = 0; round < 8; round++) {
  if (round % 2 === 0) {
    chainRounds.ours.push(await ingestRound(chainedAudit));
    chainRounds.baseline.push(await ingestRound(audit));
  } else {
    chainRounds.baseline.push(await ingestRound(audit));
    chainRounds.ours.push(await ingestRound(chainedAudit));
  }
}
const { rows: chained } = await pool.query(
  'SELECT count(DISTINCT workspace_id)::int AS chains, count(*)::int AS rows FROM audit_log WHERE chain_seq IS NOT NULL',
);
console.log(`(chained: ${chained[0].rows} rows in ${chained[0].chains} chains)`);
if (workerCpu.size === 2) {
  const perEntry = (producer: AuditService) => ((workerCpu.get(producer)! * 1000) / (chainRounds.ours.length * ROUND)).toFixed(1);
  console.log(`(worker CPU per entry: chained ${perEntry(chainedAudit)} us, unchained ${perEntry(audit)} us)`);
}

await chainedApp.close();
await app.close();
for (const child of [worker, chainedWorker]) {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}
await pool.end();
await Promise.all([postgres.stop(), redis.stop()]);

console.log(`request p50 with @Audit ${(latency.ours.nsPerOp / 1000).toFixed(1)} us, without ${(latency.baseline.nsPerOp / 1000).toFixed(1)} us`);
const copyPerSecond = median(ingest.baseline);
console.log(
  `ingest (medians of ${INGEST_ROUNDS} rounds of ${ROUND}): pipeline ${median(ingest.ours).toFixed(0)} entries/s, COPY ${copyPerSecond.toFixed(0)} rows/s, one INSERT per entry ${singlePerSecond.toFixed(0)} rows/s`,
);
report('audit-latency', latency.ours.nsPerOp / 1000, latency.baseline.nsPerOp / 1000, 'us/request', 'lower');
report('audit-ingest', median(ingest.ours), copyPerSecond, 'entries/s', 'higher', ingest);
// Not ours: the naive writer (one INSERT per entry) beside the same COPY, for scale only.
console.log(
  `STRAWMAN audit-insert-per-entry naive=${singlePerSecond.toFixed(0)} copy=${copyPerSecond.toFixed(0)} ratio=${(singlePerSecond / copyPerSecond).toFixed(3)} unit=rows/s`,
);
report('audit-ingest-chained', median(chainRounds.ours), median(chainRounds.baseline), 'entries/s', 'higher', chainRounds);
