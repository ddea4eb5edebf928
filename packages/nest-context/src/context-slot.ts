import { currentStore, runWithValue } from './context-store';

/**
 * A typed value kept per request, job or `run` (the ability a guard built, the audited call in
 * progress, the transaction of a unit of work). Every slot lives in the one store nest-context
 * keeps per unit of work, so packages share a single context mechanism and none needs its own
 * AsyncLocalStorage.
 */
export interface ContextSlot<T> {
  /** The name the slot was defined with (unique across the process, e.g. '@acme/nest-audit:call'). */
  readonly name: string;
  /** The value in the current context, or undefined (none set, or no context active). */
  get(): T | undefined;
  /**
   * Sets the value for the rest of the current context (and the scopes it opens from now on).
   * Returns false, setting nothing, when no context is active.
   */
  set(value: T): boolean;
  /**
   * Runs `fn` (sync or async) in a nested scope that holds `value` and inherits every other value
   * of the caller's context; the caller sees its own value again afterwards. Opens a scope when
   * no context is active.
   */
  run<R>(value: T, fn: () => R): R;
}

/**
 * Defines a slot. `name` must be unique in the process: prefix it with your package
 * ('@acme/nest-casl:ability'). Two copies of a package (ESM and CJS) defining the same name
 * share the slot, since the key is `Symbol.for(name)`.
 *
 * @example
 * const currentAbility = defineContextSlot<AppAbility>('@acme/nest-casl:ability');
 * currentAbility.set(ability);        // in the guard
 * currentAbility.get();               // anywhere later in the same request
 */
export function defineContextSlot<T>(name: string): ContextSlot<T> {
  // A registry symbol (not a string path): nestjs-cls stores symbol keys as-is instead of
  // splitting them on dots, and it survives two copies of the defining package.
  const key = Symbol.for(name);
  return {
    name,
    get() {
      return currentStore()?.[key] as T | undefined;
    },
    set(value) {
      const store = currentStore();
      if (!store) return false;
      store[key] = value;
      return true;
    },
    run(value, fn) {
      return runWithValue(key, value, fn);
    },
  };
}
