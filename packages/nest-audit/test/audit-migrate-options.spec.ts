import { ContextModule } from '@acme/nest-context';
import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { Module, type INestApplicationContext, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditModule, AuditOptionsError, listAuditPartitions, migrateAudit, type AuditModuleOptions } from '@acme/nest-audit';

const DAY = 86_400_000;
const utcDay = (at: number) => new Date(Math.floor(at / DAY) * DAY);

/** Boots the module with a logger that keeps the warnings. */
async function boot(options: AuditModuleOptions): Promise<{ app: INestApplicationContext; warnings: string[] }> {
  const warnings: string[] = [];
  const logger: LoggerService = { log() {}, error() {}, debug() {}, verbose() {}, warn: (message: unknown) => void warnings.push(String(message)) };
  @Module({ imports: [ContextModule.forRoot(), AuditModule.forRoot(options)] })
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, { logger, abortOnError: false });
  return { app, warnings };
}

describe('AuditModule migrate on PostgreSQL without TimescaleDB', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let spoolDir: string;

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'audit_migrate' });
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    spoolDir = await mkdtemp(join(tmpdir(), 'audit-migrate-spool-'));
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('migrate: true warns once, with the reason, that the table uses native partitions', async () => {
    const { app, warnings } = await boot({ database: { pool }, table: 'audit_plain', spoolDir, migrate: true });
    await app.close();
    expect(warnings.filter((w) => /native range partitions/.test(w))).toEqual([
      'Audit table "audit_plain" uses native range partitions, not TimescaleDB (the timescaledb extension is not available on this server); the module drops partitions older than retainFor.',
    ]);
    const partitions = await listAuditPartitions(pool, { table: 'audit_plain' });
    expect(partitions).toHaveLength(4); // the defaults: months, the previous one to two ahead
  });

  it('migrate with storage options: partitions by day as many ahead as asked, and the upkeep drops those older than retainFor', async () => {
    const table = 'audit_daily';
    // Daily partitions from 60 days ago, as a deployment that last ran then left them.
    await migrateAudit(pool, { table, timescale: false, partitionInterval: 'day', partitionsAhead: 0, now: new Date(Date.now() - 60 * DAY) });
    expect((await listAuditPartitions(pool, { table }))[0]!.from!.getTime()).toBeLessThan(Date.now() - 60 * DAY);

    const { app } = await boot({
      database: { pool },
      table,
      spoolDir,
      migrate: { timescale: 'auto', partitionInterval: 'day', partitionsAhead: 3, retainFor: '30 days' },
    });
    await app.close();
    const partitions = await listAuditPartitions(pool, { table });
    // Nothing older than retainFor is left (the default, 365 days, would keep all of them) ...
    expect(partitions[0]!.to!.getTime()).toBeGreaterThan(Date.now() - 30 * DAY);
    expect(partitions[0]!.from!.getTime()).toBeLessThanOrEqual(Date.now() - 30 * DAY);
    // ... every partition is one day wide, with no gap, up to three days after today.
    expect(partitions.every((p, i) => p.to!.getTime() - p.from!.getTime() === DAY && (i === 0 || p.from!.getTime() === partitions[i - 1]!.to!.getTime()))).toBe(
      true,
    );
    expect(partitions.at(-1)!.to).toEqual(new Date(utcDay(Date.now()).getTime() + 4 * DAY));
  });

  it('rejects storage options it cannot use at bootstrap, naming the option', async () => {
    const bad: [unknown, RegExp][] = [
      [{ retainFor: 'forever' }, /"migrate\.retainFor" must be a PostgreSQL interval/],
      [{ table: 'other_log' }, /"migrate\.table" is not a storage option: set the module's "table" option instead/],
      [{ retention: '30 days' }, /"migrate\.retention" is not a storage option/],
      [{ timescale: 'yes' }, /"migrate\.timescale" must be true, false or 'auto'/],
      [{ partitionInterval: 'week' }, /"migrate\.partitionInterval" must be 'day' or 'month'/],
      [{ partitionsAhead: -1 }, /"migrate\.partitionsAhead" must be an integer from 0 to 1000/],
      ['yes', /"migrate" must be true, false or the storage options of migrateAudit/],
    ];
    for (const [migrate, message] of bad) {
      const error = await boot({ database: { pool }, table: 'audit_never', spoolDir, migrate: migrate as AuditModuleOptions['migrate'] }).then(
        ({ app }) => app.close().then(() => 'booted'),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AuditOptionsError);
      expect((error as AuditOptionsError).message).toMatch(message);
    }
    expect((await pool.query(`SELECT to_regclass('audit_never') AS t`)).rows[0].t).toBeNull();
  });
});
