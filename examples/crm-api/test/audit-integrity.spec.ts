import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AuditIntegrityService, AuditService, AuditStreamService, verifyAuditWebhookSignature } from '@acme/nest-audit';
import { CompanyView } from '@acme-examples/crm-contracts';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settledEntriesOf } from './support/audit-settled';
import { startCrmFixture, type CrmFixture } from './support/fixture';

const CLI = fileURLToPath(new URL('../../../packages/nest-audit/dist/cli.js', import.meta.url));
const WEBHOOK_SECRET = 'siem-secret-siem-secret-siem-secret-0123';

interface Delivery {
  workspaceId: string;
  firstSeq: number;
  lastSeq: number;
  entries: { id: string }[];
}

/** A SIEM stand-in: records every signed delivery, refuses unsigned ones. */
async function startSiem(): Promise<{ url: string; deliveries: Delivery[]; unsigned: number; close(): Promise<void> }> {
  const siem = { deliveries: [] as Delivery[], unsigned: 0 };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (!verifyAuditWebhookSignature(WEBHOOK_SECRET, req.headers['acme-audit-signature'] as string | undefined, body)) {
        siem.unsigned++;
        res.writeHead(401).end();
        return;
      }
      siem.deliveries.push(JSON.parse(body) as Delivery);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/audit`,
    deliveries: siem.deliveries,
    get unsigned() {
      return siem.unsigned;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** `acme-audit verify` from the package's build, as an operator runs it: exit code and JSON report. */
async function verifyCli(
  args: string[],
): Promise<{ code: number; report: { ok: boolean; checked: number; problems: { kind: string; entryIds: string[] }[] } }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'verify', ...args, '--json']);
    return { code: 0, report: JSON.parse(stdout) };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (failed.code !== 1) throw new Error(`acme-audit exited ${failed.code}: ${failed.stderr}`, { cause: error });
    return { code: 1, report: JSON.parse(failed.stdout!) };
  }
}

// The example turns on the hash chain, signed checkpoints kept in a file off the database, and a SIEM webhook.
describe('audit integrity in the CRM API', () => {
  let f: CrmFixture;
  let siem: Awaited<ReturnType<typeof startSiem>>;
  let dir: string;
  let checkpointFile: string;
  let publicKeyFile: string;
  let owner: pg.Client;

  beforeAll(async () => {
    siem = await startSiem();
    dir = await mkdtemp(join(tmpdir(), 'crm-audit-integrity-'));
    checkpointFile = join(dir, 'checkpoints.ndjson');
    publicKeyFile = join(dir, 'audit-public.pem');
    const keys = generateKeyPairSync('ed25519');
    await writeFile(publicKeyFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
    f = await startCrmFixture({
      AUDIT_CHECKPOINT_KEY: (keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string).replaceAll('\n', '\\n'),
      AUDIT_CHECKPOINT_FILE: checkpointFile,
      AUDIT_WEBHOOK_URL: siem.url,
      AUDIT_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    owner = new pg.Client({ connectionString: f.ownerUrl });
    await owner.connect();
  });
  afterAll(async () => {
    await owner?.end();
    await f?.close();
    await siem?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A few audited writes in both workspaces, settled in the table. */
  async function write(): Promise<void> {
    for (const persona of ['admin', 'globexAdmin'] as const) {
      const created = await request(f.server)
        .post('/companies')
        .set(f.as(persona))
        .send({ name: `Chained ${persona}`, industry: 'Media', size_range: '11-50' });
      expect(created.status).toBe(201);
      const id = CompanyView.parse(created.body).id;
      await request(f.server)
        .patch(`/companies/${id}`)
        .set(f.as(persona))
        .send({ name: `Chained ${persona} Group` })
        .expect(200);
      const removed = await request(f.server).delete(`/companies/${id}`).set(f.as(persona));
      await settledEntriesOf(f, removed.headers['x-request-id'] as string);
    }
  }

  it('chains every entry, signs the heads into the checkpoint file, and acme-audit verify passes', async () => {
    await write();
    await f.app.get(AuditIntegrityService).checkpoint();
    const published = (await readFile(checkpointFile, 'utf8')).trim().split('\n');
    expect(published.length).toBeGreaterThan(0);

    for (const workspace of [f.northwindId, f.globexId]) {
      const { rows } = await owner.query<{ unchained: number; chained: number }>(
        'SELECT count(*) FILTER (WHERE chain_seq IS NULL)::int AS unchained, count(*) FILTER (WHERE chain_seq IS NOT NULL)::int AS chained FROM audit_log WHERE workspace_id = $1',
        [workspace],
      );
      expect(rows[0]).toMatchObject({ unchained: 0 });
      expect(rows[0]!.chained).toBeGreaterThanOrEqual(3);
      const { code, report } = await verifyCli([
        '--database-url',
        f.env.SYSTEM_DATABASE_URL!,
        '--workspace',
        workspace,
        '--checkpoints',
        checkpointFile,
        '--public-key',
        publicKeyFile,
      ]);
      expect({ code, problems: report.problems }).toEqual({ code: 0, problems: [] });
    }
  });

  it('streams every entry to the SIEM webhook once, signed, in chain order per workspace', async () => {
    await write();
    const stored = async (workspace: string) =>
      (
        await owner.query<{ id: string }>('SELECT id::text AS id FROM audit_log WHERE workspace_id = $1 AND chain_seq IS NOT NULL ORDER BY chain_seq', [
          workspace,
        ])
      ).rows.map((row) => row.id);
    const delivered = (workspace: string) =>
      siem.deliveries.filter((delivery) => delivery.workspaceId === workspace).flatMap((delivery) => delivery.entries.map((entry) => entry.id));
    // Pump rounds (ours, and the scheduled one in the consuming process) until the SIEM has as many
    // entries as the table; then they must be the same ones, in chain order, each once.
    const deadline = Date.now() + 20_000;
    for (;;) {
      await f.app.get(AuditStreamService).pump();
      const counts = await Promise.all([f.northwindId, f.globexId].map(async (w) => [(await stored(w)).length, delivered(w).length]));
      if (counts.every(([table, siemCount]) => siemCount! >= table!) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(siem.unsigned).toBe(0);
    for (const workspace of [f.northwindId, f.globexId]) {
      expect((await stored(workspace)).length).toBeGreaterThanOrEqual(6);
      expect(delivered(workspace)).toEqual(await stored(workspace));
    }
  });

  it('a row changed behind the app is found by acme-audit verify, with its entry id', async () => {
    const { rows } = await owner.query<{ id: string }>('SELECT id::text AS id FROM audit_log WHERE workspace_id = $1 AND chain_seq = 2', [f.northwindId]);
    const tampered = rows[0]!.id;
    await owner.query('BEGIN');
    await owner.query("SELECT set_config('acme_audit.maintenance', 'on', true)");
    await owner.query(`UPDATE audit_log SET action = 'Read' WHERE id = $1`, [tampered]);
    await owner.query('COMMIT');
    const { code, report } = await verifyCli(['--database-url', f.env.SYSTEM_DATABASE_URL!, '--workspace', f.northwindId]);
    expect(code).toBe(1);
    expect(report.problems[0]).toMatchObject({ kind: 'Broken Link', entryIds: [tampered] });
  });

  it("erasing a member's personal data keeps the chain valid and leaves no entry naming them", async () => {
    const erased = f.userIds.globexPipeline;
    await request(f.server).post('/companies').set(f.as('globexPipeline')).send({ name: 'Erasable Co', industry: 'Media', size_range: '11-50' });
    const last = await request(f.server).post('/companies').set(f.as('globexPipeline')).send({ name: 'Erasable Two', industry: 'Media', size_range: '11-50' });
    await settledEntriesOf(f, last.headers['x-request-id'] as string);
    const before = await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log WHERE workspace_id = $1 AND actor_id = $2', [f.globexId, erased]);
    expect(before.rows[0]!.n).toBeGreaterThanOrEqual(2);

    const result = await f.app.get(AuditService).erase({ workspaceId: f.globexId, actorId: erased });
    expect(result.erased).toBe(before.rows[0]!.n);

    const named = await owner.query('SELECT id FROM audit_log WHERE workspace_id = $1 AND actor_id = $2', [f.globexId, erased]);
    expect(named.rows).toEqual([]);
    const pseudonymous = await owner.query<{ ip: string | null; user_agent: string | null }>('SELECT ip, user_agent FROM audit_log WHERE actor_id = $1', [
      result.pseudonym,
    ]);
    expect(pseudonymous.rows).toHaveLength(before.rows[0]!.n);
    expect(pseudonymous.rows.every((row) => row.ip === null && row.user_agent === null)).toBe(true);
    await f.app.get(AuditService).flush();
    const { code, report } = await verifyCli(['--database-url', f.env.SYSTEM_DATABASE_URL!, '--workspace', f.globexId]);
    expect({ code, problems: report.problems }).toEqual({ code: 0, problems: [] });
    expect(report.checked).toBeGreaterThanOrEqual(before.rows[0]!.n);
  });
});
