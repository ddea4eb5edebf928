import { ContextModule } from '@acme/nest-context';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditIntegrityService, AuditModule, AuditService } from '@acme/nest-audit';
import type { AuditCheckpoint } from '../src/integrity/checkpoint';
import { asAuditMaintenance } from './support/audit-maintenance';
import { createAuditFixture, type AuditFixture } from './support/audit-fixture';
import { chainIds, ed25519 } from './support/chain-fixture';

const WS = '0190a0b2-0000-7000-8000-0000000000a1';

describe('AuditIntegrityService in the module: entries recorded, checkpointed and verified', () => {
  let fixture: AuditFixture;
  let app: INestApplicationContext;
  let audit: AuditService;
  let integrity: AuditIntegrityService;
  const { privateKey } = ed25519();
  const published: AuditCheckpoint[] = [];
  const record = async (count: number) => {
    for (let i = 0; i < count; i++) {
      await audit.record({
        action: 'Update',
        subject: 'Contact',
        subjectId: `contact-${i}`,
        workspaceId: WS,
        actor: { kind: 'User', id: 'user-1' },
        before: { email: 'a@example.com', stage: 'New' },
        after: { email: 'b@example.com', stage: 'Won' },
      });
    }
    await audit.flush();
  };

  beforeAll(async () => {
    fixture = await createAuditFixture();
    @Module({
      imports: [
        ContextModule.forRoot(),
        AuditModule.forRoot({
          database: { pool: fixture.pool },
          metrics: false,
          integrity: { chain: true, checkpoints: { signingKey: privateKey, everyMs: 3_600_000, publish: (batch) => void published.push(...batch) } },
        }),
      ],
    })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    audit = app.get(AuditService);
    integrity = app.get(AuditIntegrityService);
  });
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
  });

  it('verifies what the module wrote, checks stored checkpoints with its own key, and catches truncation with the published ones', async () => {
    await record(5);
    const [first] = await integrity.checkpoint();
    expect(first).toMatchObject({ workspaceId: WS, seq: 5 });
    await record(3);
    await integrity.checkpoint();
    expect(published.map((c) => c.seq)).toEqual([5, 8]);
    expect(await integrity.verify({ workspaceId: WS })).toEqual({
      ok: true,
      workspaceId: WS,
      checked: 8,
      beforeBoundary: 0,
      firstSeq: 1,
      lastSeq: 8,
      problems: [],
    });

    // A stored checkpoint edited in the database: its signature no longer verifies with the module's key.
    await fixture.pool.query(`UPDATE audit_log_checkpoints SET created_at = created_at + interval '1 ms' WHERE seq = 5`);
    expect((await integrity.verify({ workspaceId: WS })).problems).toEqual([expect.objectContaining({ kind: 'Bad Signature', seq: 5 })]);
    // Another key given explicitly replaces the module's: both stored checkpoints then fail.
    const other = { [first!.keyId]: ed25519().publicKey };
    expect((await integrity.verify({ workspaceId: WS, publicKeys: other })).problems.map((p) => p.kind)).toEqual(['Bad Signature', 'Bad Signature']);
    await fixture.pool.query(`UPDATE audit_log_checkpoints SET created_at = created_at - interval '1 ms' WHERE seq = 5`);

    // The newest 3 entries deleted, the head and the stored checkpoint of position 8 removed with them.
    const ids = await chainIds(fixture.pool, WS);
    await asAuditMaintenance(fixture.pool, async (client) => {
      await client.query(`DELETE FROM audit_log WHERE id = ANY($1::uuid[])`, [ids.slice(5)]);
      await client.query(`UPDATE audit_log_chain_heads SET seq = 5, hash = (SELECT chain_hash FROM audit_log WHERE id = $1)`, [ids[4]]);
      await client.query(`DELETE FROM audit_log_checkpoints WHERE seq = 8`);
    });
    expect(await integrity.verify({ workspaceId: WS })).toMatchObject({ ok: true, checked: 5 });
    const result = await integrity.verify({ workspaceId: WS, checkpoints: published });
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'Truncated', seq: 6, toSeq: 8, entryIds: [ids[4]] })]);
  });
});
