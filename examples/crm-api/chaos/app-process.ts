import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { RunResources } from './run-resources';

/**
 * The API (dist/main.js) or the worker (dist/worker.js) as a child process that the run can kill
 * and start again. Output is appended to one log file across restarts. An exit the run did not
 * cause is reported through `onUnexpectedExit` (a crash under a fault is a finding).
 */
export class AppProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private expectingExit = false;
  /** Set by the run: called when the process exits without being asked to. */
  onUnexpectedExit: (name: string, code: number | null, signal: string | null) => void = () => undefined;

  constructor(
    /** Also its key among the run's resources: give each process of a run its own ('api', 'api-2'). */
    readonly name: string,
    private readonly script: string,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
    private readonly resources: RunResources,
  ) {
    resources.onCleanup(name, () => this.stop());
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process (not once the run is cleaning up: a fault in progress must not leave one behind). */
  start(): void {
    if (this.resources.closing) return;
    const log = openSync(this.logFile, 'a');
    // Its own process group: a Ctrl-C in the terminal reaches only the driver, which stops it in order.
    const child = spawn(process.execPath, ['--enable-source-maps', this.script], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', log, log],
      detached: true,
    });
    closeSync(log);
    this.child = child;
    this.expectingExit = false;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.resources.untrackPid(this.name);
        if (!this.expectingExit) this.onUnexpectedExit(this.name, code, signal);
        resolve();
      }),
    );
    this.resources.trackPid(this.name, child.pid);
  }

  /** SIGKILL: no shutdown hook runs, whatever the process held in memory is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.expectingExit = true;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (Nest's shutdown hooks drain queues and flush the audit buffer), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.expectingExit = true;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
