import { runInCommitScope } from '@acme/nest-context';
import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '@acme/nest-audit';
import { createAuditFixture, type AuditFixture } from './support/audit-fixture';
import { bootAuditApp, createNotes } from './support/notes-app';

/**
 * A unit of work of @acme/nest-tenancy runs as a commit scope of @acme/nest-context; these
 * tests open the scope the same way, without a database transaction of their own.
 */
describe('entries of calls inside a transaction', () => {
  let fixture: AuditFixture;
  let app: INestApplicationContext;
  beforeAll(async () => {
    fixture = await createAuditFixture();
    app = await bootAuditApp({ database: { pool: fixture.pool }, batch: { maxWaitMs: 1 } });
  });
  afterAll(async () => {
    await app.close();
    await fixture.close();
  });

  const entries = async (subjectId: string) => (await fixture.pool.query('SELECT status, error_code FROM audit_log WHERE subject_id = $1', [subjectId])).rows;

  it("a 'Success' waits for the commit", async () => {
    await runInCommitScope(async () => {
      await createNotes(app, 1, 1, { flush: true });
      expect(await entries('note-1')).toEqual([]); // not committed yet: nothing to claim
    });
    await app.get(AuditService).flush();
    expect(await entries('note-1')).toEqual([{ status: 'Success', error_code: null }]);
  });

  it("a rollback after the call succeeded makes it a 'Failure' with ROLLED_BACK", async () => {
    await expect(
      runInCommitScope(async () => {
        await createNotes(app, 2, 1);
        throw new Error('the commit failed');
      }),
    ).rejects.toThrow('the commit failed');
    await app.get(AuditService).flush();
    expect(await entries('note-2')).toEqual([{ status: 'Failure', error_code: 'ROLLED_BACK' }]);
  });
});
