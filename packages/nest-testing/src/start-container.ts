import { loadDependency } from './load-dependency';
import type { StartedService } from './service.types';

/** What a server needs from its container. */
export interface ContainerSpec {
  readonly image: string;
  /** The port the server listens on inside the container. */
  readonly port: number;
  readonly environment?: Record<string, string>;
  /** Overrides the image's command (e.g. `redis-server` with its arguments). */
  readonly command?: readonly string[];
  /** A log line that means the server accepts connections, and how many times it must appear. */
  readonly readyLog: RegExp;
  readonly readyLogTimes?: number;
  /** Builds the connection URL from the mapped host and port. */
  url(host: string, port: number): string;
}

/** A PostgreSQL image (plain or TimescaleDB): user and password `postgres`, database `postgres`. */
export function postgresContainer(image: string): ContainerSpec {
  return {
    image,
    port: 5432,
    environment: { POSTGRES_PASSWORD: 'postgres' },
    // The entrypoint's init server logs it once, the real server a second time.
    readyLog: /database system is ready to accept connections/,
    readyLogTimes: 2,
    url: (host, port) => `postgres://postgres:postgres@${host}:${port}/postgres`,
  };
}

/** Starts a container through testcontainers (its Ryuk reaper removes it if this process dies). */
export async function startContainer(spec: ContainerSpec): Promise<StartedService> {
  const { GenericContainer, Wait } = await loadDependency(() => import('testcontainers'), 'testcontainers', 'pnpm add -D testcontainers');
  let image = new GenericContainer(spec.image);
  if (spec.command) image = image.withCommand([...spec.command]);
  const container = await image
    .withEnvironment(spec.environment ?? {})
    .withExposedPorts(spec.port)
    .withWaitStrategy(Wait.forLogMessage(spec.readyLog, spec.readyLogTimes ?? 1))
    .start();
  let stopped: Promise<unknown> | undefined;
  return {
    url: spec.url(container.getHost(), container.getMappedPort(spec.port)),
    source: 'testcontainers',
    stop: async () => {
      stopped ??= container.stop();
      await stopped;
    },
  };
}
