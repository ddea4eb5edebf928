import { describeBuiltDist } from '@acme/nest-testing/vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run-cli';
import { asAuditMaintenance } from './support/audit-maintenance';
import { createAuditFixture, type AuditFixture } from './support/audit-fixture';
import { chainIds, chainWriter, ed25519, personEntry, signedHead } from './support/chain-fixture';

const WS = '0190a0b2-0000-7000-8000-0000000000a1';
const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const distCli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Runs the command in process, capturing what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env: {} });
  return { code, stdout, stderr };
}

describe('acme-audit verify', () => {
  let fixture: AuditFixture;
  let dir: string;
  let url: string;
  const base = () => ['verify', '--database-url', url, '--workspace', WS];

  beforeAll(async () => {
    fixture = await createAuditFixture();
    url = fixture.database.url;
    dir = await mkdtemp(join(tmpdir(), 'acme-audit-cli-'));
  });
  beforeEach(async () => {
    await fixture.clear();
    await fixture.pool.query('DELETE FROM audit_log_chain_heads');
    await chainWriter(fixture.pool).write(Array.from({ length: 6 }, (_, i) => personEntry(i + 1, WS, new Date(T0 + i * 1000))));
  });
  afterAll(() => fixture?.close());

  it('exits 0 on a valid chain, saying what it verified', async () => {
    const run = await cli(...base());
    expect(run).toEqual({ code: 0, stdout: expect.stringContaining(`workspace ${WS} in "audit_log": valid`), stderr: '' });
    expect(run.stdout).toContain('6 entries verified (positions 1 to 6)');
    const json = await cli(...base(), '--json');
    expect(JSON.parse(json.stdout)).toEqual({ ok: true, workspaceId: WS, checked: 6, beforeBoundary: 0, firstSeq: 1, lastSeq: 6, problems: [] });
  });

  it('exits 1 when the chain was tampered with, naming the entries', async () => {
    const ids = await chainIds(fixture.pool, WS);
    await asAuditMaintenance(fixture.pool, (client) => client.query(`UPDATE audit_log SET action = 'Forged' WHERE id = $1`, [ids[2]]));
    const run = await cli(...base());
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/1 problem found/);
    expect(run.stdout).toContain('Broken Link at position 3');
    expect(run.stdout).toContain(`entries: ${ids[2]}`);
    const json = JSON.parse((await cli(...base(), '--json')).stdout);
    expect(json).toMatchObject({ ok: false, problems: [{ kind: 'Broken Link', seq: 3, entryIds: [ids[2]] }] });
  });

  it('checks published checkpoints (NDJSON) with the public key files: deleted newest rows and a foreign key are caught', async () => {
    const { privateKey, publicKey } = ed25519();
    const checkpoint = await signedHead(fixture.pool, WS, privateKey);
    const checkpoints = join(dir, 'checkpoints.ndjson');
    await writeFile(checkpoints, `${JSON.stringify(checkpoint)}\n\n`);
    const keyFile = join(dir, 'public.pem');
    await writeFile(keyFile, publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const otherKey = join(dir, 'other.pem');
    await writeFile(otherKey, ed25519().publicKey.export({ type: 'spki', format: 'pem' }) as string);

    expect(await cli(...base(), '--checkpoints', checkpoints, '--public-key', keyFile)).toMatchObject({ code: 0, stderr: '' });
    // The same checkpoint as one JSON array (what one publish call received), pretty-printed or one batch per line.
    const asArray = join(dir, 'checkpoints.json');
    await writeFile(asArray, JSON.stringify([checkpoint], null, 2));
    const batches = join(dir, 'batches.ndjson');
    await writeFile(batches, `${JSON.stringify([checkpoint])}\n${JSON.stringify([])}\n`);
    for (const file of [asArray, batches]) {
      expect(await cli(...base(), '--checkpoints', file, '--public-key', otherKey), file).toMatchObject({
        code: 1,
        stdout: expect.stringContaining('Bad Signature'),
      });
    }
    // Signed by a key that is not the one given: under its own key id, or claimed under ours.
    const foreign = await cli(...base(), '--checkpoints', checkpoints, '--public-key', otherKey);
    expect(foreign).toMatchObject({ code: 1, stdout: expect.stringContaining('Bad Signature at position 6') });
    expect((await cli(...base(), '--checkpoints', checkpoints, '--public-key', `${checkpoint.keyId}=${otherKey}`)).stdout).toContain('not valid for its key');

    // The newest rows deleted and the head moved back: only the published checkpoint tells.
    const ids = await chainIds(fixture.pool, WS);
    await asAuditMaintenance(fixture.pool, async (client) => {
      await client.query(`DELETE FROM audit_log WHERE id = ANY($1::uuid[])`, [ids.slice(4)]);
      await client.query(`UPDATE audit_log_chain_heads SET seq = 4, hash = (SELECT chain_hash FROM audit_log WHERE id = $1)`, [ids[3]]);
    });
    expect(await cli(...base())).toMatchObject({ code: 0, stderr: '' });
    const run = await cli(...base(), '--checkpoints', checkpoints, '--public-key', keyFile);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Truncated at position 5-6');
    expect(run.stdout).toContain(`entries: ${ids[3]}`);
  });

  it('exits 2 with one line on stderr, and no stack trace, for bad input or an unreachable database', async () => {
    const garbage = join(dir, 'garbage.ndjson');
    await writeFile(garbage, '{"workspaceId":\n');
    const notAKey = join(dir, 'not-a-key.pem');
    await writeFile(notAKey, 'hello');
    const cases: [string[], RegExp][] = [
      [[], /Missing command/],
      [['erase'], /Unknown command "erase"/],
      [['verify', '--workspace', WS], /Missing --database-url/],
      [['verify', '--database-url', 'postgres://x'], /Missing --workspace/],
      [['verify', '--nope'], /Unknown option '--nope'/],
      [[...base().slice(0, 3), '--workspace', 'acme'], /"workspaceId" must be a workspace UUID/],
      [[...base().slice(0, 3), '--workspace', `${WS}\u0000`], /"workspaceId" must be a workspace UUID/],
      [[...base(), '--from', 'last tuesday'], /"from" must be a Date or an ISO 8601 string/],
      [[...base(), '--table', 'audit_log"; DROP TABLE x; --'], /"table" must be a plain SQL identifier/],
      [[...base(), '--table', 'no_such_table'], /No audit table "no_such_table"/],
      [[...base(), '--checkpoints', join(dir, 'missing.ndjson')], /cannot read --checkpoints .*ENOENT/],
      [[...base(), '--checkpoints', garbage], /line 1 is not JSON/],
      [[...base(), '--public-key', notAKey], /must be a PEM string or a KeyObject/],
      [[...base(), '--public-key', join(dir, 'missing.pem')], /cannot read --public-key/],
      [['verify', '--database-url', 'postgres://nobody@127.0.0.1:1/none', '--workspace', WS], /could not connect to the database/],
      [['verify', '--database-url', 'not a url at all', '--workspace', WS], /could not connect|database/],
    ];
    for (const [argv, message] of cases) {
      const run = await cli(...argv);
      expect(run, argv.join(' ')).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(message) });
      expect(run.stderr, argv.join(' ')).toMatch(/^acme-audit: [^\n]+\n(Run acme-audit --help for the options\.\n)?$/);
    }
    expect(await cli('--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('Exit codes: 0 the chain is valid') });
  });

  describeBuiltDist('the built bin (dist/cli.js, ESM)', [distCli], () => {
    const bin = (...argv: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [distCli, ...argv], { env: { PATH: process.env.PATH } }, (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
        ),
      );

    it('runs as a process with the exit codes 0, 1 and 2', async () => {
      expect(await bin(...base())).toMatchObject({ code: 0, stdout: expect.stringContaining('valid') });
      const ids = await chainIds(fixture.pool, WS);
      await asAuditMaintenance(fixture.pool, (client) => client.query(`DELETE FROM audit_log WHERE id = $1`, [ids[1]]));
      expect(await bin(...base())).toMatchObject({ code: 1, stdout: expect.stringContaining(`Missing Range at position 2`) });
      const usage = await bin('verify', '--workspace', WS);
      expect(usage).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('Missing --database-url') });
      expect(usage.stderr).not.toMatch(/\n\s+at /);
    });
  });
});
