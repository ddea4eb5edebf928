/**
 * What `pnpm bench http` needs around its server processes: the CRM worker as its own process,
 * resident memory read from /proc, and the top of a CPU profile.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface WorkerProcess {
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts `node <script>` (the CRM's dist/worker.js) with `env`; it has no HTTP port, so it is ready when it has not exited after a moment. */
export async function startWorkerProcess(script: string, env: Record<string, string>, cwd: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [script], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  if (child.exitCode !== null) throw new Error(`the worker exited with code ${child.exitCode}:\n${stderr}`);
  return {
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Resident set size of a process in MB (VmRSS), or NaN once it is gone. */
export function rssMb(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return Number(line?.split(/\s+/)[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Now on the clock V8 stamps profile samples with (monotonic, microseconds). */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * The functions that took most of the CPU (self time) in the newest .cpuprofile of `dir`, as
 * lines "  12.3%  name (file:line)", then the same time summed by package. Only samples taken
 * inside `windows` ([start, end] in {@link monotonicMicros}) count: the timed loads, not the
 * start-up, the checks or the other side's rounds. Idle, GC and program time are listed too.
 */
export function profileTop(dir: string, windows: [number, number][], count = 25): string[] {
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.cpuprofile'))
    .map((file) => join(dir, file))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!files[0]) return [`no .cpuprofile in ${dir}`];
  const profile = JSON.parse(readFileSync(files[0], 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    startTime: number;
    samples: number[];
    timeDeltas: number[];
  };
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (!windows.some(([start, end]) => at >= start && at <= end)) return;
    const frame = byNode.get(id)!.callFrame;
    const file = frame.url.replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '').replace(/^file:\/\/.*\/(packages|examples)\//, '$1/');
    const key = `${frame.functionName || '(anonymous)'}${file ? ` (${file}:${frame.lineNumber + 1})` : ''}`;
    self.set(key, (self.get(key) ?? 0) + delta);
    const pkg = !file
      ? frame.functionName || '(native)'
      : file.startsWith('node:')
        ? 'node internals'
        : file
            .split('/')
            .slice(0, file.startsWith('@') || /^(packages|examples)\//.test(file) ? 2 : 1)
            .join('/');
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + delta);
    total += delta;
  });
  if (total === 0) return [`${files[0]}: no sample inside the timed loads`];
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
  return [`${files[0]}: ${(total / 1e6).toFixed(1)} s sampled during our timed loads`, ...top(self, count), 'by package:', ...top(byPackage, 15)];
}
