import { ContextModule, ContextService } from '@acme/nest-context';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditIntegrityService, AuditModule, AuditService } from '@acme/nest-audit';
import { AuditWriter } from '../src/audit-writer';
import { ERASED } from '../src/integrity/erase';
import { asAuditMaintenance } from './support/audit-maintenance';
import { createAuditFixture, type AuditFixture } from './support/audit-fixture';
import { chainWriter, personEntry } from './support/chain-fixture';

const WS = '0190a0b2-0000-7000-8000-0000000000a1';
const T0 = Date.parse('2026-11-20T10:00:00.000Z');
// The person whose data is erased, and traces of them in every place an entry holds personal data.
const GONE = { id: 'user-erase-me', email: 'erase.me@example.com', ip: '203.0.113.77', phone: '+1 555 0177', name: 'Erin Erase' };
const STAYS = { id: 'user-stays', email: 'stays@example.com', ip: '198.51.100.9' };

/** Their entry: actor, IP and personal values in changes and metadata (incl. one nested in an array). */
const byGone = (n: number, overrides = {}) =>
  personEntry(n, WS, new Date(T0 + n * 1000), {
    actorId: GONE.id,
    ip: GONE.ip,
    userAgent: `Mozilla/5.0 (${GONE.name})`,
    subject: 'Deal',
    subjectId: `deal-${n}`,
    changes: { email: { from: GONE.email, to: GONE.email }, stage: { from: 'New', to: 'Won' } },
    metadata: { contacts: [{ phone: GONE.phone, role: 'Owner' }], owner: { name: GONE.name } },
    ...overrides,
  });
const byStays = (n: number, overrides = {}) =>
  personEntry(n, WS, new Date(T0 + n * 1000), {
    actorId: STAYS.id,
    ip: STAYS.ip,
    changes: { email: { from: STAYS.email, to: STAYS.email } },
    metadata: {},
    ...overrides,
  });

describe('AuditService.erase (PostgreSQL, native partitions)', () => {
  let fixture: AuditFixture;
  let app: INestApplicationContext;
  let audit: AuditService;
  let integrity: AuditIntegrityService;
  /** Every row of the audit table, every column, as PostgreSQL prints it. */
  const tableText = async () => (await fixture.pool.query('SELECT t::text AS row FROM audit_log t')).rows.map((r) => r.row as string).join('\n');
  const traces = async (person: Record<string, string>) => {
    const text = await tableText();
    return Object.values(person).filter((value) => text.includes(value));
  };

  beforeAll(async () => {
    fixture = await createAuditFixture();
    @Module({ imports: [ContextModule.forRoot(), AuditModule.forRoot({ database: { pool: fixture.pool }, integrity: { chain: true }, metrics: false })] })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    audit = app.get(AuditService);
    integrity = app.get(AuditIntegrityService);
  });
  beforeEach(async () => {
    await fixture.clear();
    await fixture.pool.query('DELETE FROM audit_log_chain_heads');
    // Rows written before the chain was on (no position, no digest), then chained ones.
    await new AuditWriter(fixture.pool, 'audit_log').write([byGone(1), byStays(2)]);
    await chainWriter(fixture.pool).write([byGone(3), byStays(4), byGone(5), byGone(6, { metadata: {}, changes: {} })]);
  });
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
  });

  it('erases an actor: no column of any row holds their id, email, IP, phone or name; the chain still verifies', async () => {
    expect(await traces(GONE)).toEqual(Object.values(GONE)); // the scan finds them before
    const result = await audit.erase({ workspaceId: WS, actorId: GONE.id });
    expect(result).toEqual({ erased: 4, pseudonym: expect.stringMatching(/^erased:[0-9a-f-]{36}$/) });
    expect(await traces(GONE)).toEqual([]);
    expect(await traces(STAYS)).toEqual(Object.values(STAYS));
    expect(await integrity.verify({ workspaceId: WS })).toMatchObject({ ok: true, checked: 5, problems: [] });

    const rows = await fixture.rows();
    const erased = rows.filter((row) => row.actor_id === result.pseudonym);
    expect(erased.map((row) => row.subject_id).sort()).toEqual(['deal-1', 'deal-3', 'deal-5', 'deal-6']);
    for (const row of erased) expect(row).toMatchObject({ ip: null, user_agent: null, personal_salt: null });
    expect(erased.find((row) => row.subject_id === 'deal-3')).toMatchObject({
      changes: { email: ERASED, stage: { from: 'New', to: 'Won' } }, // a personal field's whole change
      metadata: { contacts: [{ phone: ERASED, role: 'Owner' }], owner: { name: ERASED } },
    });
    // The erasure is an entry of its own, in the same chain, naming the pseudonym and never the id.
    expect(rows.find((row) => row.action === 'Erase')).toMatchObject({
      workspace_id: WS,
      subject: 'Personal Data',
      subject_id: result.pseudonym,
      metadata: { erased: 4, by: 'actor', subject: null },
      chain_seq: '5',
    });
    // Nothing left: a second call erases nothing (and is recorded too).
    expect(await audit.erase({ workspaceId: WS, actorId: GONE.id })).toMatchObject({ erased: 0 });

    // What an erasure that forgot one column would leave: the scan finds it, and so does verify.
    const left = erased.find((row) => row.subject_id === 'deal-5')!;
    await asAuditMaintenance(fixture.pool, (client) => client.query(`UPDATE audit_log SET user_agent = $1 WHERE id = $2`, [GONE.name, left.id]));
    expect(await traces(GONE)).toEqual([GONE.name]);
    expect((await integrity.verify({ workspaceId: WS })).problems).toEqual([
      expect.objectContaining({ kind: 'Personal Data Altered', entryIds: [left.id], message: expect.stringContaining('erased, yet holds values') }),
    ]);
  });

  it('erases a subject: the personal values of the entries about it, whoever recorded them', async () => {
    await chainWriter(fixture.pool).write([
      byStays(7, { subject: 'Contact', subjectId: 'contact-77', changes: { email: { from: null, to: GONE.email }, phone: { from: null, to: GONE.phone } } }),
      byStays(8, { subject: 'Deal', subjectId: 'contact-77', changes: { note: { from: null, to: 'kept' } } }),
    ]);
    const result = await audit.erase({ workspaceId: WS, subject: 'Contact', subjectId: 'contact-77' });
    expect(result.erased).toBe(1);
    const row = (await fixture.rows()).find((r) => r.subject_id === 'contact-77' && r.subject === 'Contact');
    expect(row).toMatchObject({ actor_id: STAYS.id, ip: null, user_agent: null, changes: { email: ERASED, phone: ERASED } });
    expect((await fixture.rows()).find((r) => r.subject === 'Deal' && r.subject_id === 'contact-77')).toMatchObject({ ip: STAYS.ip });
    expect(await integrity.verify({ workspaceId: WS })).toMatchObject({ ok: true });
    expect((await fixture.rows()).find((r) => r.action === 'Erase')).toMatchObject({ metadata: { erased: 1, by: 'subject', subject: 'Contact' } });
  });

  it('an actor erasing themselves is not named by the Erase entry either', async () => {
    const result = await app
      .get(ContextService)
      .run({ actor: { kind: 'User', id: GONE.id }, workspaceId: WS }, () => audit.erase({ workspaceId: WS, actorId: GONE.id }));
    expect(await traces(GONE)).toEqual([]);
    expect((await fixture.rows()).find((r) => r.action === 'Erase')).toMatchObject({ actor_id: result.pseudonym, actor_kind: 'User' });
  });

  it('erases entries recorded without a workspace (workspaceId null), leaving the workspace ones alone', async () => {
    await chainWriter(fixture.pool).write([byGone(20, { workspaceId: null }), byGone(21, { workspaceId: null })]);
    expect(await audit.erase({ workspaceId: null, actorId: GONE.id })).toMatchObject({ erased: 2 });
    expect((await fixture.rows()).filter((r) => r.actor_id === GONE.id).map((r) => r.workspace_id)).toEqual([WS, WS, WS, WS]);
    expect(await integrity.verify({ workspaceId: null })).toMatchObject({ ok: true, checked: 3 });
    expect(await integrity.verify({ workspaceId: WS })).toMatchObject({ ok: true });
  });

  it('refuses bad options with AUDIT_ERASE_INVALID before any SQL', async () => {
    for (const options of [
      undefined,
      { actorId: GONE.id },
      { workspaceId: 'acme', actorId: GONE.id },
      { workspaceId: WS },
      { workspaceId: WS, actorId: '' },
      { workspaceId: WS, actorId: '   ' },
      { workspaceId: WS, actorId: `${GONE.id}\u0000` },
      { workspaceId: WS, actorId: '\uD800' },
      { workspaceId: WS, actorId: 42 },
      { workspaceId: WS, actorId: 'x'.repeat(1001) },
      { workspaceId: WS, actorId: GONE.id, subjectId: 'contact-1' },
      { workspaceId: WS, subject: 'Contact' },
      { workspaceId: WS, subject: 'Contact\u0000', subjectId: 'contact-1' },
      { workspaceId: WS, subjectId: 10n },
    ]) {
      const error = await audit.erase(options as never).catch((e) => e);
      expect(error, String(JSON.stringify(options, (_k, v) => (typeof v === 'bigint' ? String(v) : v)))).toMatchObject({
        code: 'AUDIT_ERASE_INVALID',
        message: expect.stringMatching(/^AuditService\.erase/),
      });
    }
    expect(await traces(GONE)).toEqual(Object.values(GONE)); // nothing was touched
  });
});
