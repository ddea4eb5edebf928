import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { watchForOrphan } from './orphan-watchdog';
import type { StartedService } from './service.types';
import { ServerStartError } from './testing.errors';

/** Environment variable naming the redis-server binary (else it is looked up on PATH). */
export const REDIS_SERVER_BIN_ENV = 'REDIS_SERVER_BIN';
const READY = /Ready to accept connections/;
const START_TIMEOUT_MS = 10_000;
const INSTALL = 'install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_SERVER_BIN';

/** What a test Redis does with writes: `'aof'` keeps them across restarts, `'none'` loses them. */
export type RedisPersistence = 'aof' | 'none';

/** Options of {@link startRedisServerProcess}. */
export interface RedisServerProcessOptions {
  /** The redis-server binary (else `REDIS_SERVER_BIN`, else `redis-server` on PATH). */
  binary?: string;
  /** @default 'aof' */
  persistence?: RedisPersistence;
  /** More redis-server arguments, after ours (a directive given twice: the last one wins). */
  args?: readonly string[];
}

/**
 * The redis-server arguments for a persistence mode: like a production Redis that keeps queued
 * jobs (`appendonly yes`, `appendfsync everysec`, `maxmemory-policy noeviction`), or volatile (AOF
 * off). RDB snapshots are off in both: the AOF is the durability a test can rely on.
 */
export function redisPersistenceArgs(persistence: RedisPersistence): string[] {
  const aof = persistence === 'aof' ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no'];
  return ['--save', '', ...aof, '--maxmemory-policy', 'noeviction'];
}

/**
 * Spawns `redis-server` on a free port, bound to 127.0.0.1, in a temp working directory (where
 * the AOF lives; removed by `stop()`), by default with AOF on (see {@link redisPersistenceArgs}).
 * A watchdog stops it if this process dies first.
 */
export async function startRedisServerProcess(options: RedisServerProcessOptions = {}): Promise<StartedService> {
  const bin = options.binary ?? process.env[REDIS_SERVER_BIN_ENV] ?? 'redis-server';
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'acme-testing-redis-'));
  const child = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...redisPersistenceArgs(options.persistence ?? 'aof'), ...(options.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const watchdog = child.pid === undefined ? undefined : watchForOrphan(child.pid, 'TERM', dir);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  try {
    await waitUntilReady(child, bin);
  } catch (error) {
    watchdog?.disarm();
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  let stopped: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    source: 'embedded',
    stop: () => {
      stopped ??= (async () => {
        watchdog?.disarm();
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await exited;
        }
        await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

function waitUntilReady(child: ReturnType<typeof spawn>, bin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () =>
        fail(
          new ServerStartError(
            'redis',
            `${bin} did not report ready within ${START_TIMEOUT_MS / 1000} s (is the machine overloaded, or are its arguments wrong?): ${output.trim()}`,
          ),
        ),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-2_000);
      if (READY.test(output)) done();
    };
    const onError = (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'ENOENT'
          ? new ServerStartError('redis', `redis-server not found (tried "${bin}"${bin === 'redis-server' ? ' on PATH' : ''}): ${INSTALL}`, { cause: error })
          : new ServerStartError('redis', `${bin} could not be started (${error.message}): check that it is an executable redis-server, or ${INSTALL}`, {
              cause: error,
            }),
      );
    const onExit = (code: number | null) =>
      fail(new ServerStartError('redis', `${bin} exited with code ${code} during start (its output says why; a wrong argument in "args"?): ${output.trim()}`));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', onError);
    child.once('exit', onExit);

    function done() {
      cleanup();
      // Keep draining output so a full pipe never blocks the server.
      child.stdout?.resume();
      child.stderr?.resume();
      resolve();
    }
    function fail(error: Error) {
      cleanup();
      reject(error);
    }
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('error', onError);
      child.off('exit', onExit);
    }
  });
}
