import { DependencyUnavailableError } from './testing.errors';

/**
 * Loads an optional peer on the path that needs it, so that users who never take that path need
 * not install it. Any failure to load it (not installed, a broken install, a crash on import)
 * becomes a `DependencyUnavailableError` that keeps the loader's error as `cause` and names the
 * install command.
 *
 * Pass the import as a function so that it resolves from this package, as the user's package
 * manager laid it out.
 */
export async function loadDependency<T>(load: () => Promise<T>, dependency: string, install: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new DependencyUnavailableError(dependency, install, { cause: error });
  }
}
