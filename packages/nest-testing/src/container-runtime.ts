import { importOptional } from './import-optional';

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
    const { getContainerRuntimeClient } = await importOptional(
      () => import('testcontainers'),
      'testcontainers',
      'pnpm add -D testcontainers',
    );
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${DETECT_TIMEOUT_MS / 1000} s`)), DETECT_TIMEOUT_MS);
    });
    await Promise.race([getContainerRuntimeClient(), timeout]);
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

/** The message of anything thrown, on one line. */
export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
