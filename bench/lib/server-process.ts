import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '@acme/nest-testing';

/** An HTTP server running in a child process, as it would in production: its own event loop. */
export interface ServerProcess {
  readonly url: string;
  /** The child's process id (to read its memory from /proc). */
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts `node <args>` with `env` on a free port (passed as PORT) and resolves once
 * `GET <healthPath>` answers 200. stdout is discarded (the server's logs still get written,
 * as they would be to a collector); stderr is kept for the error if it never gets ready.
 */
export async function startServerProcess(
  name: string,
  args: string[],
  env: Record<string, string>,
  { healthPath = '/health', cwd, timeoutMs = 60_000 }: { healthPath?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before it was ready:\n${stderr}`);
    if (Date.now() > deadline) {
      await stop(child);
      throw new Error(`${name} was not ready after ${timeoutMs} ms:\n${stderr}`);
    }
    const ok = await fetch(`${url}${healthPath}`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return { url, pid: child.pid!, stop: () => stop(child) };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
