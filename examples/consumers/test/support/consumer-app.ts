import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './pack-packages';

const run = promisify(execFile);
const CONSUMERS = join(ROOT, 'examples', 'consumers');

export interface RunningConsumer {
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Lays out one consumer app in `dir` the way a user's project looks: its package.json with the
 * @acme tarballs as `file:` dependencies (and as overrides, so the packages' own dependencies on each
 * other resolve to the tarballs too), the shared source in src/, then `npm install` and `tsc`.
 */
export async function installConsumer(name: 'nest11-cjs' | 'nest12-esm', dir: string, tarballs: Record<string, string>): Promise<void> {
  mkdirSync(join(dir, 'src'), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(CONSUMERS, name, 'package.template.json'), 'utf8'));
  const files = Object.fromEntries(Object.entries(tarballs).map(([pkg, file]) => [pkg, `file:${file}`]));
  manifest.dependencies = { ...manifest.dependencies, ...files };
  manifest.overrides = files;
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  copyFileSync(join(CONSUMERS, name, 'tsconfig.template.json'), join(dir, 'tsconfig.json'));
  copyFileSync(join(CONSUMERS, 'app', 'main.ts'), join(dir, 'src', 'main.ts'));
  const npmrc = join(CONSUMERS, name, 'npmrc.template');
  if (existsSync(npmrc)) copyFileSync(npmrc, join(dir, '.npmrc'));
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--no-package-lock'], { cwd: dir, timeout: 300_000 });
  // The workspace's TypeScript, against the app's own node_modules: what the consumer's compiler sees.
  await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: dir, timeout: 120_000 });
}

/** Starts the compiled app (node dist/main.js) and waits for its READY line. */
export function startConsumer(dir: string, env: Record<string, string>): Promise<RunningConsumer> {
  const child: ChildProcess = spawn(process.execPath, ['dist/main.js'], { cwd: dir, env: { ...process.env, ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumer did not start within 60 s:\n${output}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`consumer exited with ${code}:\n${output}`));
    });
    child.stdout!.on('data', () => {
      const ready = /READY (\S+)/.exec(output);
      if (ready) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ url: ready[1]!.replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1'), output: () => output, stop });
      }
    });
  });
}
