import { PROVIDED_URL_KEYS } from './provided-keys';
import { SERVER_URL_ENV, type TestServer } from './service.types';
import { TestServerUrlMissingError } from './testing.errors';

/**
 * The URL of the server the test run shares: the one `setupTestServers` provided to vitest
 * (read with vitest's `inject`), else the environment variable (`DATABASE_URL`,
 * `TIMESCALE_URL`, `REDIS_URL`). Works outside vitest too, where only the variable counts.
 *
 * @throws TestServerUrlMissingError when neither is set.
 */
export async function getTestServerUrl(server: TestServer): Promise<string> {
  const url = (await providedUrl(server)) ?? process.env[SERVER_URL_ENV[server]];
  if (!url) throw new TestServerUrlMissingError(server, SERVER_URL_ENV[server]);
  return url;
}

async function providedUrl(server: TestServer): Promise<string | undefined> {
  // vitest is an optional peer: only load it inside a vitest worker, where it is present.
  if (!process.env.VITEST) return undefined;
  try {
    const { inject } = await import('vitest');
    // The key is declared on ProvidedContext only by the '/vitest' entry; stay untyped here.
    const value: unknown = (inject as (key: string) => unknown)(PROVIDED_URL_KEYS[server]);
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined; // not in a worker (e.g. a globalSetup file): inject has no state to read
  }
}
