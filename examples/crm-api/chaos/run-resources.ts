import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Reads the run's list when its stdin closes (the driver ended, however it ended: exit, Ctrl-C,
// SIGKILL) and kills every process still listed, then removes every listed directory.
const WATCHDOG = `
read _ignored
[ -f "$1" ] || exit 0
while read -r kind value; do [ "$kind" = pid ] && kill -KILL "$value" 2>/dev/null; done < "$1"
sleep 1
while read -r kind value; do [ "$kind" = dir ] && rm -rf "$value"; done < "$1"
rm -f "$1"
`;

/**
 * Every process and directory a chaos run owns. `cleanup()` stops them in reverse order of start
 * and removes the directories; a small `sh` watchdog does the same if the driver dies without
 * cleaning up (exit hooks do not run on SIGKILL, and cannot wait for a server to stop).
 */
export class RunResources {
  private readonly pids = new Map<string, number>();
  private readonly dirs: string[] = [];
  private readonly stoppers: { name: string; stop: () => Promise<void> }[] = [];
  private readonly listFile = join(tmpdir(), `acme-chaos-${process.pid}-${randomBytes(4).toString('hex')}.list`);
  private readonly watchdog: ChildProcess;
  private cleaning: Promise<string> | undefined;

  constructor() {
    this.write();
    // Its own process group: the terminal's Ctrl-C must not kill it before the driver has cleaned up.
    this.watchdog = spawn('sh', ['-c', WATCHDOG, 'acme-chaos-watchdog', this.listFile], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    this.watchdog.on('error', () => undefined);
    this.watchdog.stdin?.on('error', () => undefined);
    // Neither the watchdog nor its pipe may keep the driver alive.
    this.watchdog.unref();
    (this.watchdog.stdin as Socket | null)?.unref();
  }

  /** True once cleanup began: nothing may be started any more. */
  get closing(): boolean {
    return this.cleaning !== undefined;
  }

  /** A server or app process (its pid changes on every restart: call again after each start). */
  trackPid(name: string, pid: number | undefined): void {
    if (pid === undefined) return;
    this.pids.set(name, pid);
    this.write();
  }

  untrackPid(name: string): void {
    this.pids.delete(name);
    this.write();
  }

  trackDir(dir: string): void {
    this.dirs.push(dir);
    this.write();
  }

  /** Registers how to stop something; stoppers run in reverse order of registration. */
  onCleanup(name: string, stop: () => Promise<void>): void {
    this.stoppers.push({ name, stop });
  }

  /** The pids currently owned (printed at start, so a test can check they are gone after the run). */
  listPids(): number[] {
    return [...this.pids.values()];
  }

  /** Stops everything (each stopper gets 15 s), removes the directories unless `keepDirs`; returns how long each stop took. Idempotent. */
  cleanup(options: { keepDirs?: boolean } = {}): Promise<string> {
    this.cleaning ??= (async () => {
      const took: string[] = [];
      for (const { name, stop } of [...this.stoppers].reverse()) {
        const started = Date.now();
        // The timer is not unref'd: it keeps the process alive while a stop is pending.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([stop().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 15_000)))]);
        clearTimeout(timer);
        took.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)}s`);
      }
      for (const pid of this.pids.values()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (!options.keepDirs) for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
      this.watchdog.kill('SIGKILL');
      rmSync(this.listFile, { force: true });
      return took.join(', ');
    })();
    return this.cleaning;
  }

  private write(): void {
    const lines = [...[...this.pids.values()].map((pid) => `pid ${pid}`), ...this.dirs.map((dir) => `dir ${dir}`)];
    writeFileSync(this.listFile, lines.join('\n') + '\n');
  }
}
