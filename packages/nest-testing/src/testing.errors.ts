import type { ServiceStrategy, TestServer } from './service.types';

/** Base class of the errors this package throws; `code` is stable across versions. */
export abstract class TestingError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
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
  readonly code = 'ACME_TESTING_SERVICE_UNAVAILABLE';
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
  readonly code = 'ACME_TESTING_SERVER_URL_MISSING';
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
