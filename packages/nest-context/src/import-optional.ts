/**
 * Loads an optional peer dependency (prom-client, ioredis, @opentelemetry/api, ...) on the path
 * that needs it: undefined when it is not installed, so a package can offer an integration
 * without requiring it. Any other failure (a broken install, a crash on import) is thrown.
 *
 * Pass the import as a function so that it resolves from the calling package, as the app's
 * bundler and package manager laid it out.
 *
 * @example
 * const prom = await importOptional(() => import('prom-client'), 'prom-client');
 * if (!prom) return NOOP_METRICS;
 */
export async function importOptional<T>(load: () => Promise<T>, specifier: string): Promise<T | undefined> {
  try {
    return await load();
  } catch (error) {
    if (isModuleNotFound(error, specifier)) return undefined;
    throw error;
  }
}

/** Whether `error` says that `specifier` (its package part) is not installed. */
function isModuleNotFound(error: unknown, specifier: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  const notFound =
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' ||
    // vite's module runner (vitest) words it differently and sets no code
    /Cannot find (package|module)|Failed to (load|resolve)/.test(error.message);
  const packageName = specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
  return notFound && error.message.includes(packageName);
}
