import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AUDIT_IDEMPOTENCY_HEADER,
  AUDIT_SIGNATURE_HEADER,
  directoryObjectStore,
  FileAuditSink,
  verifyAuditWebhookSignature,
  WebhookAuditSink,
  type AuditEntry,
  type AuditSink,
  type AuditSinkBatch,
} from '@acme/nest-audit';
import { GLOBAL_CHAIN } from '../src/integrity/chain-content';
import { AuditSinkPump, type AuditSinkDeliverySettings } from '../src/sinks/audit-sink-pump';
import { auditTableName } from '../src/storage/sql-identifier';
import { createAuditFixture, type AuditFixture } from './support/audit-fixture';
import { asAuditMaintenance } from './support/audit-maintenance';
import { chainWriter, personEntry } from './support/chain-fixture';
import { receiver } from './support/webhook-receiver';

const WS_A = '0190a0b2-0000-7000-8000-0000000000a1';
const WS_B = '0190a0b2-0000-7000-8000-0000000000b2';
const SECRET = 'test-secret-0123456789abcdef';
const quiet = { warn: () => undefined, error: () => undefined };
const settings = (overrides: Partial<AuditSinkDeliverySettings> = {}): AuditSinkDeliverySettings => ({
  everyMs: 60_000,
  batchSize: 100,
  maxAttempts: 8,
  retryAfterMs: 0,
  maxRetryAfterMs: 0,
  ...overrides,
});

/** Writes `count` chained entries per workspace (one batch per call, like the writer does). */
async function writeEntries(fixture: AuditFixture, from: number, count: number, workspaces: (string | null)[]): Promise<void> {
  const base = Date.parse('2026-11-20T00:00:00Z');
  const entries: AuditEntry[] = [];
  for (let n = from; n < from + count; n++) {
    for (const [i, workspaceId] of workspaces.entries()) entries.push(personEntry(n * 10 + i, workspaceId, new Date(base + n * 1000)));
  }
  await chainWriter(fixture.pool).write(entries);
}

/** Every stored entry id per chain, in chain order. */
async function chains(fixture: AuditFixture): Promise<Map<string, string[]>> {
  const { rows } = await fixture.pool.query(
    `SELECT COALESCE(workspace_id, $1::uuid)::text AS chain, id::text AS id FROM audit_log WHERE chain_seq IS NOT NULL ORDER BY chain, chain_seq`,
    [GLOBAL_CHAIN],
  );
  const byChain = new Map<string, string[]>();
  for (const row of rows) byChain.set(row.chain, [...(byChain.get(row.chain) ?? []), row.id]);
  return byChain;
}

/** What the sink accepted, per chain in arrival order; fails on a repeated entry id. */
function deliveredIds(batches: { workspaceId: string; entries: { id: string }[] }[]): Map<string, string[]> {
  const byChain = new Map<string, string[]>();
  for (const batch of batches) byChain.set(batch.workspaceId, [...(byChain.get(batch.workspaceId) ?? []), ...batch.entries.map((e) => e.id)]);
  const all = [...byChain.values()].flat();
  expect(new Set(all).size).toBe(all.length);
  return byChain;
}

/** Runs rounds until `done` holds (backoff waits between them), at most `rounds` times. */
async function pumpUntil(pump: AuditSinkPump, done: () => boolean | Promise<boolean>, rounds = 200): Promise<number> {
  for (let n = 1; n <= rounds; n++) {
    await pump.round();
    if (await done()) return n;
    await sleep(5);
  }
  throw new Error(`not done after ${rounds} rounds`);
}

describe('sinks (PostgreSQL)', () => {
  let fixture: AuditFixture;
  const closers: (() => Promise<void>)[] = [];
  const name = auditTableName('audit_log', undefined);

  beforeEach(async () => {
    fixture = await createAuditFixture();
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await fixture?.close();
  });

  it('a webhook that fails (500s, then timeouts) and recovers receives every entry exactly once, in chain order per workspace, signed', async () => {
    // Requests 0-5 answer 500, 6-8 never answer (the sink times out), then every request succeeds.
    const hook = await receiver((n) => (n < 6 ? 500 : n < 9 ? 'hang' : 200));
    closers.push(hook.close);
    const sink = new WebhookAuditSink({ url: hook.url, secret: SECRET, timeoutMs: 200 });
    const pump = new AuditSinkPump(fixture.pool, name, [sink], settings({ batchSize: 70 }), quiet);
    await writeEntries(fixture, 0, 150, [WS_A, WS_B, null]);

    let wrote = false;
    const rounds = await pumpUntil(pump, async () => {
      // More entries arrive while the sink is failing.
      if (!wrote && hook.attempts.length >= 4) {
        wrote = true;
        await writeEntries(fixture, 150, 60, [WS_A, null]);
      }
      const delivered = deliveredIds(hook.received.map((r) => r.batch));
      const stored = await chains(fixture);
      return wrote && [...stored].every(([chain, ids]) => (delivered.get(chain) ?? []).length === ids.length);
    });
    expect(rounds).toBeGreaterThan(3);
    expect(hook.attempts.length).toBeGreaterThan(hook.received.length); // failures happened, and were retried

    const stored = await chains(fixture);
    expect(deliveredIds(hook.received.map((r) => r.batch))).toEqual(stored);
    expect([...stored.keys()].sort()).toEqual([GLOBAL_CHAIN, WS_A, WS_B].sort());
    for (const { headers, body, batch } of hook.received) {
      expect(verifyAuditWebhookSignature(SECRET, headers[AUDIT_SIGNATURE_HEADER] as string, body)).toBe(true);
      expect(verifyAuditWebhookSignature('another-secret-0123456789', headers[AUDIT_SIGNATURE_HEADER] as string, body)).toBe(false);
      expect(verifyAuditWebhookSignature(SECRET, headers[AUDIT_SIGNATURE_HEADER] as string, body.replace('"Update"', '"Delete"'))).toBe(false);
      expect(headers[AUDIT_IDEMPOTENCY_HEADER]).toBe(`${batch.workspaceId}:${batch.firstSeq}-${batch.lastSeq}`);
      expect(batch.lastSeq - batch.firstSeq + 1).toBe(batch.entries.length);
    }
    // A failed batch is retried as the same range: every key that failed was delivered later under the same key.
    const deliveredKeys = new Set(hook.received.map((r) => r.headers[AUDIT_IDEMPOTENCY_HEADER]));
    expect(hook.attempts.every((key) => deliveredKeys.has(key))).toBe(true);
  });

  it('after maxAttempts a batch goes to the dead letters (with its entries) and the position moves on', async () => {
    await writeEntries(fixture, 1_000, 5, [WS_A]);
    const total = (await chains(fixture)).get(WS_A)!.length;
    let failing = true;
    const calls: AuditSinkBatch[] = [];
    const sink: AuditSink = {
      name: 'flaky',
      async send(batch) {
        calls.push(batch);
        if (failing) throw new Error('refused: 503');
      },
    };
    const pump = new AuditSinkPump(fixture.pool, name, [sink], settings({ batchSize: total - 2, maxAttempts: 3 }), quiet);
    await pump.round();
    await pump.round();
    expect(await deadLetters()).toEqual([]);
    await pump.round(); // third attempt: given up
    const [letter] = await deadLetters();
    expect(letter).toMatchObject({ sink: 'flaky', workspace_id: WS_A, first_seq: '1', last_seq: String(total - 2), attempts: 3, error: 'refused: 503' });
    expect(letter!.entries.map((e: AuditEntry) => e.id)).toEqual((await chains(fixture)).get(WS_A)!.slice(0, total - 2));
    expect(calls.map((c) => [c.firstSeq, c.lastSeq])).toEqual([
      [1, total - 2],
      [1, total - 2],
      [1, total - 2],
    ]);
    expect(await position('flaky', WS_A)).toMatchObject({ seq: String(total - 2), attempts: 0, retry_to_seq: null });
    failing = false;
    await pump.round();
    // Only the rest: the dead-lettered batch is not sent again.
    expect(calls.slice(3).map((c) => [c.firstSeq, c.lastSeq])).toEqual([[total - 1, total]]);
    expect(await position('flaky', WS_A)).toMatchObject({ seq: String(total), attempts: 0, retry_to_seq: null });
  });

  it('waits out the backoff before retrying (exponential, capped)', async () => {
    await writeEntries(fixture, 2_000, 2, [WS_B]);
    const calls: number[] = [];
    const sink: AuditSink = {
      name: 'slow-to-recover',
      async send() {
        calls.push(Date.now());
        throw new Error('down');
      },
    };
    const pump = new AuditSinkPump(fixture.pool, name, [sink], settings({ retryAfterMs: 300, maxRetryAfterMs: 500 }), quiet);
    await pump.round();
    await pump.round(); // within the backoff: nothing is sent
    expect(calls).toHaveLength(1);
    expect(await position('slow-to-recover', WS_B)).toMatchObject({ attempts: 1, last_error: 'down' });
    await sleep(350);
    await pump.round();
    expect(calls).toHaveLength(2);
    const second = await position('slow-to-recover', WS_B);
    // 300 ms doubled is 600, capped at 500.
    const { rows } = await fixture.pool.query(
      `SELECT extract(epoch FROM retry_at - updated_at) * 1000 AS wait FROM audit_log_sink_positions WHERE sink = 'slow-to-recover' AND workspace_id = $1`,
      [WS_B],
    );
    expect(second).toMatchObject({ attempts: 2 });
    expect(Number(rows[0].wait)).toBeCloseTo(500, -1);
  });

  it('two pumps at once (two processes) never deliver an entry twice', async () => {
    await writeEntries(fixture, 3_000, 120, [WS_A, WS_B, null]);
    const other = new pg.Pool({ connectionString: fixture.database.url, max: 4 });
    closers.push(() => other.end());
    const batches: AuditSinkBatch[] = [];
    const sink: AuditSink = {
      name: 'shared',
      async send(batch) {
        await sleep(20); // slow enough for the pumps to meet on every workspace
        batches.push(batch);
      },
    };
    const one = new AuditSinkPump(fixture.pool, name, [sink], settings({ batchSize: 50 }), quiet);
    const two = new AuditSinkPump(other, name, [sink], settings({ batchSize: 50 }), quiet);
    const stored = await chains(fixture);
    for (let n = 0; n < 50; n++) {
      await Promise.all([one.round(), two.round(), one.round()]);
      const delivered = deliveredIds(batches);
      if ([...stored].every(([chain, ids]) => (delivered.get(chain) ?? []).length === ids.length)) break;
    }
    expect(deliveredIds(batches)).toEqual(stored);
  });

  it('moves past entries retention dropped (a gap in the chain, or everything after the position)', async () => {
    await writeEntries(fixture, 5_000, 20, [WS_A]);
    const batches: AuditSinkBatch[] = [];
    const sink: AuditSink = { name: 'archive', send: async (batch) => void batches.push(batch) };
    const pump = new AuditSinkPump(fixture.pool, name, [sink], settings({ batchSize: 5 }), quiet);
    const drop = (from: number, to: number) =>
      asAuditMaintenance(fixture.pool, (client) =>
        client.query('DELETE FROM audit_log WHERE workspace_id = $1 AND chain_seq BETWEEN $2 AND $3', [WS_A, from, to]),
      );
    await drop(1, 7); // the oldest entries, before the sink ever saw them
    await pump.round();
    expect(batches.map((b) => [b.firstSeq, b.lastSeq])).toEqual([
      [8, 12],
      [13, 17],
      [18, 20],
    ]);
    await writeEntries(fixture, 5_100, 4, [WS_A]);
    await drop(21, 24); // everything after the position
    await pump.round();
    expect(await position('archive', WS_A)).toMatchObject({ seq: '24' });
    await writeEntries(fixture, 5_200, 2, [WS_A]);
    await pump.round();
    expect(batches.at(-1)).toMatchObject({ firstSeq: 25, lastSeq: 26 });
    expect(batches).toHaveLength(4);
  });

  it('FileAuditSink writes each batch as NDJSON under <workspace>/<firstSeq>-<lastSeq>.ndjson in a directory store', async () => {
    await writeEntries(fixture, 4_000, 3, [WS_B]);
    const dir = await mkdtemp(join(tmpdir(), 'audit-sink-'));
    const pump = new AuditSinkPump(fixture.pool, name, [new FileAuditSink({ store: directoryObjectStore(dir) })], settings({ batchSize: 4 }), quiet);
    await pump.round();
    const files = (await readdir(join(dir, WS_B))).sort();
    const ids: string[] = [];
    for (const file of files) {
      expect(file).toMatch(/^\d{20}-\d{20}\.ndjson$/);
      ids.push(
        ...(await readFile(join(dir, WS_B, file), 'utf8'))
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line).id),
      );
    }
    expect(ids).toEqual((await chains(fixture)).get(WS_B));
    await expect(directoryObjectStore(dir).put('../escape.ndjson', 'x')).rejects.toMatchObject({ code: 'AUDIT_SINK_FAILED' });
  });

  async function deadLetters() {
    return (
      await fixture.pool.query('SELECT sink, workspace_id::text, first_seq::text, last_seq::text, attempts, error, entries FROM audit_log_sink_dead_letters')
    ).rows;
  }
  async function position(sink: string, workspaceId: string) {
    const { rows } = await fixture.pool.query(
      'SELECT seq::text, retry_to_seq::text, attempts, last_error FROM audit_log_sink_positions WHERE sink = $1 AND workspace_id = $2',
      [sink, workspaceId],
    );
    return rows[0];
  }
});
