import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { freePort } from '@acme/nest-testing';
import { sleep } from './clock';
import { ChaosError } from './chaos.errors';
import type { RunResources } from './run-resources';

const READY = /Ready to accept connections/;
const START_TIMEOUT_MS = 15_000;

/**
 * A redis-server of the run's own, restartable on the same port and directory. Durable as
 * production should run it (AOF, fsync every second, no eviction: what BullMQ asks for), or,
 * for the broken variant, volatile (no AOF, no snapshots): a restart then forgets every job.
 */
export class ChaosRedis {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    private readonly dir: string,
    readonly volatile: boolean,
    private readonly logFile: string,
    private readonly resources: RunResources,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async create(options: { dir: string; volatile: boolean; logFile: string; resources: RunResources }): Promise<ChaosRedis> {
    mkdirSync(options.dir, { recursive: true });
    const redis = new ChaosRedis(await freePort(), options.dir, options.volatile, options.logFile, options.resources);
    await redis.start();
    options.resources.onCleanup('Redis', () => redis.stop());
    return redis;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.resources.closing) return;
    const persistence = this.volatile ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'everysec'];
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      ...persistence,
      '--maxmemory-policy',
      'noeviction',
      '--logfile',
      '',
    ];
    // The log is appended across restarts: only what this start writes counts.
    const offset = this.logSize();
    const log = openSync(this.logFile, 'a');
    // Its own process group: a Ctrl-C in the terminal reaches the driver, which stops Redis in order.
    const child = spawn('redis-server', args, { stdio: ['ignore', log, log], detached: true });
    closeSync(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('error', () => undefined);
    this.resources.trackPid('redis', child.pid);
    const deadline = Date.now() + START_TIMEOUT_MS;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (!READY.test(this.logSince(offset))) {
      if (exited || Date.now() > deadline) {
        throw new ChaosError(
          'CHAOS_SERVER_START',
          `redis-server did not start on port ${this.port}${exited ? ' (it exited)' : ''}: ${this.logSince(offset).slice(-500)} (is redis-server installed? apt-get install redis-server)`,
        );
      }
      await sleep(50);
    }
  }

  /** SIGTERM: Redis writes (and fsyncs) its AOF and exits, like SHUTDOWN. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
    this.resources.untrackPid('redis');
  }

  private logSize(): number {
    try {
      return readFileSync(this.logFile).length;
    } catch {
      return 0;
    }
  }

  private logSince(offset: number): string {
    try {
      return readFileSync(this.logFile).subarray(offset).toString('utf8');
    } catch {
      return '';
    }
  }
}
