import { AUDITED_WRITES, ContextModule, ContextService, runInCommitScope, type AuditedWrite, type AuditedWrites } from '@acme/nest-context';
import { CaslDenials, CaslModule, defineAbilities } from '@acme/nest-casl';
import { Inject, Injectable, Logger, Module, NotFoundException, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Audit, AuditModule, AuditService } from '@acme/nest-audit';
import { createAuditFixture, eventually, type AuditFixture } from './support/audit-fixture';

const WS = '0190a0b2-0000-7000-8000-0000000000dd';
const REQUEST = 'req-audited-writes';
const POOL = Symbol('notes pool');
const context = new ContextService();
const asUser = <T>(fn: () => Promise<T>) => context.run({ workspaceId: WS, requestId: REQUEST, actor: { kind: 'User', id: 'u1' } }, fn);

/** The client of the transaction in progress: the service writes its rows through it. */
let transaction: pg.PoolClient | undefined;

@Injectable()
class NotesService {
  constructor(@Inject(POOL) private readonly pool: pg.Pool) {}

  @Audit({ action: 'Create', subject: 'Note' })
  async create(id: string) {
    await (transaction ?? this.pool).query('INSERT INTO notes (id) VALUES ($1)', [id]);
    return { id };
  }

  @Audit({ action: 'Delete', subject: 'Note' })
  async remove(id: string) {
    throw new NotFoundException({ statusCode: 404, code: 'NOTE_NOT_FOUND', message: `Note ${id} not found.` });
  }

  @Audit({ action: 'Touch', subject: 'Note' })
  touchNow(id: string): string {
    return id;
  }
}

describe('AUDITED_WRITES: listeners hear each successful audited write', () => {
  let fixture: AuditFixture;
  let app: INestApplicationContext;
  let writes: AuditedWrites;
  let heard: (AuditedWrite & { committed?: boolean })[];
  let unsubscribe: (() => void)[];

  /** A listener that takes its time, and looks from another connection whether the written row is committed. */
  const slowListener = async (write: AuditedWrite) => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { rows } = await fixture.pool.query('SELECT 1 FROM notes WHERE id = $1', [write.subjectId]);
    heard.push({ ...write, committed: rows.length === 1 });
  };
  const listen = (listener: (write: AuditedWrite) => void | Promise<void>) => void unsubscribe.push(writes.subscribe(listener));

  /** A real PostgreSQL transaction run as a commit scope, as @acme/nest-tenancy's TenantDb.transaction runs one. */
  async function inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    const client = await fixture.pool.connect();
    try {
      return await runInCommitScope(async () => {
        await client.query('BEGIN');
        transaction = client;
        try {
          const result = await fn();
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          transaction = undefined;
        }
      });
    } finally {
      client.release();
    }
  }

  /** The stored entries with this subject id (or, for calls that have none, this action). */
  const entries = async (where: { subjectId: string } | { action: string }) => {
    await app.get(AuditService).flush();
    const [column, value] = 'subjectId' in where ? ['subject_id', where.subjectId] : ['action', where.action];
    return (await fixture.pool.query(`SELECT action, status, error_code FROM audit_log WHERE ${column} = $1`, [value])).rows;
  };

  beforeAll(async () => {
    fixture = await createAuditFixture();
    await fixture.pool.query('CREATE TABLE notes (id text PRIMARY KEY)');
    @Module({
      imports: [
        ContextModule.forRoot(),
        AuditModule.forRoot({ database: { pool: fixture.pool }, batch: { maxWaitMs: 1 } }),
        CaslModule.forRoot({ abilities: defineAbilities<'Note', 'Viewer'>({ Viewer: ({ can }) => can('Read', 'Note') }) }),
      ],
      providers: [NotesService, { provide: POOL, useValue: fixture.pool }],
    })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    writes = app.get<AuditedWrites>(AUDITED_WRITES, { strict: false });
  });
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
  });
  beforeEach(() => {
    heard = [];
    unsubscribe = [];
  });
  afterEach(() => {
    for (const off of unsubscribe) off();
    vi.restoreAllMocks();
  });

  it('outside a transaction: once, with workspace, subject, action, id and request, before the call resolves to its caller', async () => {
    listen(slowListener);
    await asUser(() => app.get(NotesService).create('n-plain'));
    expect(heard).toEqual([{ workspaceId: WS, subject: 'Note', action: 'Create', subjectId: 'n-plain', requestId: REQUEST, committed: true }]);
    expect(await entries({ subjectId: 'n-plain' })).toEqual([{ action: 'Create', status: 'Success', error_code: null }]);
  });

  it('never for a failed call: its Failure is recorded, nobody hears of a write', async () => {
    listen(slowListener);
    await expect(asUser(() => app.get(NotesService).remove('n-failed'))).rejects.toThrow(NotFoundException);
    expect(await entries({ action: 'Delete' })).toEqual([{ action: 'Delete', status: 'Failure', error_code: 'NOTE_NOT_FOUND' }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heard).toEqual([]);
  });

  it('never for an authorization denial', async () => {
    listen(slowListener);
    await asUser(async () =>
      app
        .get(CaslDenials)
        .emit({ kind: 'Forbidden', action: 'Delete', subject: 'Note', userId: 'u1', workspaceId: WS, requestId: REQUEST, handler: 'NotesController.remove' }),
    );
    const denied = await eventually(async () => {
      await app.get(AuditService).flush();
      const rows = (await fixture.pool.query("SELECT status, error_code FROM audit_log WHERE error_code = 'CASL_FORBIDDEN'")).rows;
      expect(rows).toHaveLength(1);
      return rows;
    });
    expect(denied).toEqual([{ status: 'Failure', error_code: 'CASL_FORBIDDEN' }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heard).toEqual([]);
  });

  it('inside a commit scope: after the commit, before the unit of work resolves', async () => {
    listen(slowListener);
    await asUser(() =>
      inTransaction(async () => {
        await app.get(NotesService).create('n-tx');
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(heard).toEqual([]); // not committed yet: nothing to hear
      }),
    );
    // The listener looked from another connection and already saw the committed row.
    expect(heard).toEqual([{ workspaceId: WS, subject: 'Note', action: 'Create', subjectId: 'n-tx', requestId: REQUEST, committed: true }]);
  });

  it('never when the transaction rolls back (the entry becomes ROLLED_BACK)', async () => {
    listen(slowListener);
    await expect(
      asUser(() =>
        inTransaction(async () => {
          await app.get(NotesService).create('n-rolled-back');
          throw new Error('a later step failed');
        }),
      ),
    ).rejects.toThrow('a later step failed');
    expect(await entries({ subjectId: 'n-rolled-back' })).toEqual([{ action: 'Create', status: 'Failure', error_code: 'ROLLED_BACK' }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heard).toEqual([]);
  });

  it('a throwing or rejecting listener never fails the call; it is logged and the others still hear it', async () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    listen(() => {
      throw new Error('listener threw');
    });
    listen(async () => {
      throw new Error('listener rejected');
    });
    listen(slowListener);
    await expect(asUser(() => app.get(NotesService).create('n-bad-listener'))).resolves.toEqual({ id: 'n-bad-listener' });
    expect(heard.map((write) => write.subjectId)).toEqual(['n-bad-listener']);
    const messages = logged.mock.calls.map(([message]) => String(message));
    expect(messages.filter((message) => message.includes('listener of audited writes failed'))).toHaveLength(2);
    expect(messages.join('\n')).toMatch(/listener threw[\s\S]*listener rejected|listener rejected[\s\S]*listener threw/);
  });

  it("AuditService.record of a 'Success' is heard before it resolves; of a 'Failure' never", async () => {
    listen(slowListener);
    const audit = app.get(AuditService);
    await asUser(() => audit.record({ action: 'Import', subject: 'Note', subjectId: 'n-manual', status: 'Failure', error: new Error('bad file') }));
    expect(heard).toEqual([]);
    await asUser(() => audit.record({ action: 'Import', subject: 'Note', subjectId: 'n-manual' }));
    expect(heard).toEqual([{ workspaceId: WS, subject: 'Note', action: 'Import', subjectId: 'n-manual', requestId: REQUEST, committed: false }]);
  });

  it('a synchronous audited method: listeners start before it returns (it cannot wait for them)', async () => {
    const started: string[] = [];
    listen((write) => void started.push(`${write.action} ${write.subject}`));
    let startedOnReturn: string[] = [];
    await asUser(async () => {
      expect(app.get(NotesService).touchNow('n-sync')).toBe('n-sync');
      startedOnReturn = [...started];
    });
    expect(startedOnReturn).toEqual(['Touch Note']);
  });

  it('an unsubscribed listener hears nothing more', async () => {
    const off = writes.subscribe(slowListener);
    off();
    await asUser(() => app.get(NotesService).create('n-unsubscribed'));
    expect(heard).toEqual([]);
  });
});
