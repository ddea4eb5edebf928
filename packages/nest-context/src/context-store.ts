import { ClsServiceManager, type ClsService } from 'nestjs-cls';
import type { RequestContext } from './request-context';

// A registry symbol (not a string path): survives two copies of this package in one
// process, and nestjs-cls stores symbol keys as-is instead of splitting them on dots.
const CONTEXT_KEY = Symbol.for('@acme/nest-context:request-context');

/**
 * The request context of one unit of work, held in a box: nested scopes (a slot's `run`, a
 * transaction) inherit the box, so an `update` made inside one is seen by the whole request.
 */
interface ContextBox {
  current: RequestContext;
}

/**
 * The AsyncLocalStorage behind the context and every slot is nestjs-cls's process-wide one,
 * reached without DI, so the context works whether or not the app configured ClsModule, and an
 * app that did keeps its own setup (our values live under symbol keys in its store). This is the
 * only place of the suite that touches nestjs-cls.
 */
export function cls(): ClsService {
  return ClsServiceManager.getClsService();
}

/** The values of the current unit of work, by key; undefined outside any. */
export type ContextStore = Record<symbol, unknown>;

/**
 * The store of the current unit of work, or undefined outside any: one AsyncLocalStorage read
 * (where `isActive()` then `get(key)` would take two). Every read of the context and of a slot
 * goes through it, a few dozen times per request across the suite.
 */
export function currentStore(): ContextStore | undefined {
  return cls().get<ContextStore | undefined>();
}

/**
 * Runs `fn` in a new scope that holds the caller's values (when it has a scope) and `key: value`:
 * what nestjs-cls's `run({ ifNested: 'inherit' })` followed by `set(key, value)` does, in one step.
 */
export function runWithValue<T>(key: symbol, value: unknown, fn: () => T): T {
  return cls().runWith({ ...currentStore(), [key]: value }, fn);
}

function box(): ContextBox | undefined {
  return currentStore()?.[CONTEXT_KEY] as ContextBox | undefined;
}

export function readContext(): RequestContext | undefined {
  return box()?.current;
}

/** Replaces the context of the current unit of work; the caller checked that one is open. */
export function writeContext(context: RequestContext): void {
  box()!.current = context;
}

/** Runs `fn` in a new CLS scope that inherits the app's other CLS values and holds `context`. */
export function runInContext<T>(context: RequestContext, fn: () => T): T {
  return runWithValue(CONTEXT_KEY, { current: context } satisfies ContextBox, fn);
}
