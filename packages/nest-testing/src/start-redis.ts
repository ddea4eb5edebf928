import { redisPersistenceArgs, startRedisServerProcess, type RedisPersistence } from './redis-server-process';
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
  /**
   * What the started server does with writes. `'aof'`: `appendonly yes`, `appendfsync everysec`,
   * `maxmemory-policy noeviction`, as a production Redis that keeps queued jobs (what the posture
   * checks of @acme/nest-queues and @acme/nest-audit accept). `'none'`: AOF off, a restart loses
   * everything, for tests of a volatile Redis. Applies to the servers this package starts, never
   * to one given by `url` / `REDIS_URL`.
   * @default 'aof'
   */
  persistence?: RedisPersistence;
  /**
   * More `redis-server` arguments for the servers this package starts (embedded and container),
   * after the persistence ones, e.g. `['--maxmemory-policy', 'allkeys-lru']`.
   */
  args?: readonly string[];
}

/**
 * Provides a Redis server: `options.url` or `REDIS_URL` if set, else a testcontainers container
 * when a container runtime answers, else a `redis-server` process spawned on a free port. The
 * servers it starts run with AOF on unless `persistence: 'none'`.
 *
 * @throws ServiceUnavailableError when no strategy works; the message says what to install.
 */
export function startRedis(options: StartRedisOptions = {}): Promise<StartedService> {
  const persistence = options.persistence ?? 'aof';
  return resolveService(
    {
      service: 'redis',
      startContainer: (image) =>
        startContainer({
          image: image ?? 'redis:7',
          port: 6379,
          command: ['redis-server', ...redisPersistenceArgs(persistence), ...(options.args ?? [])],
          readyLog: /Ready to accept connections/,
          url: (host, port) => `redis://${host}:${port}`,
        }),
      startEmbedded: () => startRedisServerProcess({ binary: options.binary, persistence, args: options.args }),
      embeddedFix: 'install redis-server (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_SERVER_BIN to its path',
    },
    options,
  );
}
