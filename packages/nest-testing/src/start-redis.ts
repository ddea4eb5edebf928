import { startRedisServerProcess } from './redis-server-process';
import { resolveService } from './resolve-service';
import type { StartedService, StartServiceOptions } from './service.types';
import { startContainer } from './start-container';

/** Options of {@link startRedis}. */
export interface StartRedisOptions extends StartServiceOptions {
  /**
   * Image for the testcontainers strategy.
   * @default 'redis:7'
   */
  image?: string;
  /**
   * The redis-server binary for the embedded strategy.
   * @default process.env.REDIS_SERVER_BIN, else `redis-server` on PATH
   */
  binary?: string;
}

/**
 * Provides a Redis server: `options.url` or `REDIS_URL` if set, else a testcontainers container
 * when a container runtime answers, else a `redis-server` process spawned on a free port.
 *
 * @throws ServiceUnavailableError when no strategy works; the message says what to install.
 */
export function startRedis(options: StartRedisOptions = {}): Promise<StartedService> {
  return resolveService(
    {
      service: 'redis',
      startContainer: (image) =>
        startContainer({
          image: image ?? 'redis:7',
          port: 6379,
          readyLog: /Ready to accept connections/,
          url: (host, port) => `redis://${host}:${port}`,
        }),
      startEmbedded: () => startRedisServerProcess(options.binary),
      embeddedFix:
        'install redis-server (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_SERVER_BIN to its path',
    },
    options,
  );
}
