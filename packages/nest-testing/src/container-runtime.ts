import { loadDependency } from './load-dependency';
import { errorMessage } from './testing.errors';

/** Whether testcontainers can reach a container runtime, and if not, why. */
export type ContainerRuntimeStatus = { readonly available: true } | { readonly available: false; readonly reason: string };

/** Environment variable that turns the testcontainers strategy off. */
export const NO_CONTAINERS_ENV = 'ACME_TESTING_NO_CONTAINERS';

/** How long a runtime (e.g. a remote DOCKER_HOST) may take to answer before we move on. */
const DETECT_TIMEOUT_MS = 5_000;

/**
 * Asks testcontainers for a working container runtime. Without an engine testcontainers
 * rejects within a few milliseconds ("Could not find a working container runtime strategy"),
 * so this is cheap enough to run before every container start.
 */
export async function detectContainerRuntime(): Promise<ContainerRuntimeStatus> {
  if (isTruthy(process.env[NO_CONTAINERS_ENV])) {
    return { available: false, reason: `disabled by ${NO_CONTAINERS_ENV}=${process.env[NO_CONTAINERS_ENV]}` };
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const { getContainerRuntimeClient } = await loadDependency(() => import('testcontainers'), 'testcontainers', 'pnpm add -D testcontainers');
    const silence = new Promise<'silent'>((resolve) => {
      timer = setTimeout(() => resolve('silent'), DETECT_TIMEOUT_MS);
    });
    const answer = await Promise.race([getContainerRuntimeClient(), silence]);
    if (answer === 'silent') return { available: false, reason: `no container runtime (no answer within ${DETECT_TIMEOUT_MS / 1000} s)` };
    return { available: true };
  } catch (error) {
    return { available: false, reason: `no container runtime (${errorMessage(error)})` };
  } finally {
    clearTimeout(timer);
  }
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes'].includes(value.toLowerCase());
}
