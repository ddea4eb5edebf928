/**
 * The promise, or a rejection with `onTimeout()` once `ms` have passed without it settling. The
 * timer is cleared either way, so a settled call leaves nothing running. The caller names the
 * error, so a timeout reads as its own package's error with its own code.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
