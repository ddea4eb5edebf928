/**
 * Loads an optional peer dependency on the path that needs it, so that users who never take
 * that path need not install it. A missing package becomes an error that names the install
 * command; any other failure (a broken install, a crash on import) keeps its own message.
 */
export async function importOptional<T>(load: () => Promise<T>, specifier: string, install: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isModuleNotFound(error, specifier)) {
      throw new Error(`${specifier} is not installed (${install})`, { cause: error });
    }
    throw error;
  }
}

function isModuleNotFound(error: unknown, specifier: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  const notFound =
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' ||
    // vite's module runner (vitest) words it differently and sets no code
    /Cannot find (package|module)|Failed to (load|resolve)/.test(error.message);
  return notFound && error.message.includes(specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
}
