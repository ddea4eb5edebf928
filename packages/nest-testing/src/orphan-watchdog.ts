import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/** Armed until `disarm()`: then the server's own stop() is in charge. */
export interface OrphanWatchdog {
  disarm(): void;
}

// Waits for its stdin to close (this process ended, however it ended: exit, signal, SIGKILL),
// then stops the server (escalating to SIGKILL after 10 s) and removes its directory.
const SCRIPT = `
read _ignored
kill -"$2" "$1" 2>/dev/null
i=0
while kill -0 "$1" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL "$1" 2>/dev/null
if [ -n "$3" ]; then rm -rf "$3"; fi
`;

/**
 * Makes sure a server process does not outlive this one. Exit hooks cannot do that: they do not
 * run when the process is killed (an interrupted CI job, a killed vitest), and they cannot wait
 * for a server to stop before removing its files. A small `sh` child holds a pipe to this
 * process; when the pipe closes it stops the server and removes `dir`. No-op on Windows.
 */
export function watchForOrphan(pid: number, signal: 'TERM' | 'INT', dir = ''): OrphanWatchdog {
  if (process.platform === 'win32') return { disarm: () => undefined };
  const watchdog = spawn('sh', ['-c', SCRIPT, 'acme-testing-watchdog', String(pid), signal, dir], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  // No sh, or the pipe breaking as the watchdog is disarmed: the server's own stop() still works.
  watchdog.on('error', () => undefined);
  watchdog.stdin?.on('error', () => undefined);
  // Neither the child nor its pipe may keep this process alive.
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  return {
    disarm: () => {
      watchdog.kill('SIGKILL');
    },
  };
}
