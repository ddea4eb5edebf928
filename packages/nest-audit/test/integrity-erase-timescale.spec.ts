import { ContextModule } from '@acme/nest-context';
import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditIntegrityService, AuditModule, AuditService } from '@acme/nest-audit';
import { migrateAudit } from '../src/storage/audit-migration';
import { asAuditMaintenance } from './support/audit-maintenance';
import { chainIds, chainWriter, personEntry } from './support/chain-fixture';

const WS = '0190a0b2-0000-7000-8000-0000000000a1';
const TAMPERED = '0190a0b2-0000-7000-8000-0000000000b2';
const DAY = 86_400_000;
const GONE = { id: 'user-erase-me', email: 'erase.me@example.com', ip: '203.0.113.77' };

// The embedded TimescaleDB (PGlite) serves one connection at a time: a pool of one.
describe('verification and erasure on compressed TimescaleDB chunks', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let app: INestApplicationContext;
  const compressedChunks = async () =>
    Number((await pool.query(`SELECT count(*) AS n FROM timescaledb_information.chunks WHERE hypertable_name = 'audit_log' AND is_compressed`)).rows[0].n);

  beforeAll(async () => {
    database = await createTestDatabase({ server: 'timescale', prefix: 'audit_ts_erase' });
    pool = new pg.Pool({ connectionString: database.url, max: 1, idleTimeoutMillis: 100 });
    await migrateAudit(pool, { timescale: true, chunkInterval: '1 day', compressAfter: '7 days', retainFor: '3650 days' });
    // Entries over five days, a month ago: five chunks, all of them compressed below.
    const start = Date.now() - 30 * DAY;
    const entries = Array.from({ length: 10 }, (_, i) =>
      personEntry(i + 1, WS, new Date(start + Math.floor(i / 2) * DAY + i * 1000), {
        actorId: i % 2 === 0 ? GONE.id : 'user-stays',
        ip: i % 2 === 0 ? GONE.ip : '198.51.100.9',
        changes: { email: { from: i % 2 === 0 ? GONE.email : 'stays@example.com', to: null } },
      }),
    );
    const writer = chainWriter(pool);
    await writer.write(entries.slice(0, 6));
    await writer.write(entries.slice(6));
    await writer.write(Array.from({ length: 4 }, (_, i) => personEntry(100 + i, TAMPERED, new Date(start + i * DAY))));
    await pool.query(`SELECT compress_chunk(c) FROM show_chunks('audit_log') c`);

    @Module({ imports: [ContextModule.forRoot(), AuditModule.forRoot({ database: { pool }, integrity: { chain: true }, metrics: false })] })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  });
  afterAll(async () => {
    await app?.close();
    await pool?.end();
    await database?.drop();
  });

  it('verifies a chain whose chunks are compressed, and finds a row edited inside one', async () => {
    expect(await compressedChunks()).toBeGreaterThanOrEqual(5);
    const integrity = app.get(AuditIntegrityService);
    expect(await integrity.verify({ workspaceId: WS })).toMatchObject({ ok: true, checked: 10, lastSeq: 10 });
    const ids = await chainIds(pool, TAMPERED);
    await asAuditMaintenance(pool, (client) => client.query(`UPDATE audit_log SET action = 'Forged' WHERE workspace_id = $1 AND id = $2`, [TAMPERED, ids[2]]));
    expect((await integrity.verify({ workspaceId: TAMPERED })).problems).toEqual([
      expect.objectContaining({ kind: 'Broken Link', seq: 3, entryIds: [ids[2]] }),
    ]);
  });

  it('erases an actor across compressed chunks: nothing of theirs is left in any column, and the chain verifies', async () => {
    const text = async () => (await pool.query('SELECT t::text AS row FROM audit_log t')).rows.map((r) => r.row).join('\n');
    const before = await text();
    expect(Object.values(GONE).filter((value) => before.includes(value))).toEqual(Object.values(GONE));
    const result = await app.get(AuditService).erase({ workspaceId: WS, actorId: GONE.id });
    expect(result.erased).toBe(5);
    const after = await text();
    expect(Object.values(GONE).filter((value) => after.includes(value))).toEqual([]);
    expect(after).toContain('stays@example.com');
    expect(await app.get(AuditIntegrityService).verify({ workspaceId: WS })).toMatchObject({ ok: true, checked: 11, problems: [] });
  });
});
