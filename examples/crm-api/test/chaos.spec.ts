import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const SUMMARY = /^CHAOS mutations=(\d+) lost=(\d+) duplicated=(\d+) cross_workspace=(\d+) server_errors=(\d+) unavailable=(\d+)$/;

interface ChaosRun {
  code: number | null;
  output: string;
  summary: { mutations: number; lost: number; duplicated: number; crossWorkspace: number; serverErrors: number; unavailable: number } | null;
}

/** `pnpm chaos <args>` from the repository root, as a user runs it; `interrupt` sends Ctrl-C once the output contains it. */
function runChaos(args: string[], interrupt?: string): Promise<ChaosRun> {
  return new Promise((resolve) => {
    // Its own process group, like a terminal's foreground job: Ctrl-C goes to the whole group.
    // Only the arguments choose the variant: a CHAOS_* variable of the caller's shell must not.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CHAOS_')));
    const child = spawn('pnpm', ['run', '--silent', 'chaos', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let interrupted = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (interrupt && !interrupted && output.includes(interrupt)) {
        interrupted = true;
        process.kill(-child.pid!, 'SIGINT');
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      const last = output.trimEnd().split('\n').at(-1) ?? '';
      const n = SUMMARY.exec(last)?.slice(1).map(Number);
      resolve({
        code,
        output,
        summary: n ? { mutations: n[0]!, lost: n[1]!, duplicated: n[2]!, crossWorkspace: n[3]!, serverErrors: n[4]!, unavailable: n[5]! } : null,
      });
    });
  });
}

/** Every pid and directory the run announced; none may outlive it. */
function leftovers(output: string): string[] {
  const pids = [...output.matchAll(/pids ([\d ]+)\)?/g)].flatMap((m) => m[1]!.trim().split(' ').map(Number));
  const dirs = [...new Set([...output.matchAll(/run directory (\/\S+)|\(data (\/[^\s)]+)\)/g)].map((m) => m[1] ?? m[2]!))];
  const alive = pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  expect(pids.length, 'the run printed its pids').toBeGreaterThan(0);
  expect(dirs.length, 'the run printed its directories').toBe(2);
  return [...alive.map((pid) => `pid ${pid}`), ...dirs.filter((dir) => existsSync(dir))];
}

// `pnpm chaos --short`: API and worker as separate processes of a fresh build, on a PostgreSQL and a
// Redis (AOF) of their own; the worker is SIGKILLed, Redis restarted with the worker down,
// PostgreSQL restarted, all under load; then every mutation is reconciled with the audit trail.
describe('pnpm chaos', () => {
  it('--short: through a worker kill, a Redis restart and a PostgreSQL restart, no audit entry is lost, doubled or misplaced', async () => {
    const run = await runChaos(['--short']);
    expect(run.summary, run.output).not.toBeNull();
    expect(run.summary, run.output).toMatchObject({ lost: 0, duplicated: 0, crossWorkspace: 0, serverErrors: 0 });
    expect(run.summary!.mutations).toBeGreaterThanOrEqual(300);
    expect(run.code, run.output).toBe(0);
    expect(leftovers(run.output)).toEqual([]);
  }, 300_000);

  it('fails when audit entries go missing (--break drop-audit-rows)', async () => {
    const run = await runChaos(['--short', '--no-faults', '--mutations', '100', '--break', 'drop-audit-rows']);
    expect(run.code, run.output).toBe(1);
    expect(run.summary, run.output).not.toBeNull();
    expect(run.summary!.lost, run.output).toBeGreaterThanOrEqual(5);
    expect(run.output).toContain('lost (2xx without its Success entry)');
    expect(leftovers(run.output)).toEqual([]);
  }, 300_000);

  it('Ctrl-C mid-run stops every process and removes every directory', async () => {
    const run = await runChaos(['--short'], 'worker killed (SIGKILL)');
    expect(run.output).toContain('SIGINT: interrupted');
    expect(run.output).toMatch(/stopped \(.*\), run directory removed/);
    expect(run.code).not.toBe(0);
    expect(leftovers(run.output)).toEqual([]);
  }, 300_000);
});
