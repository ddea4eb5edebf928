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

function box(): ContextBox | undefined {
  const store = cls();
  return store.isActive() ? (store.get(CONTEXT_KEY) as ContextBox | undefined) : undefined;
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
  return cls().run({ ifNested: 'inherit' }, () => {
    cls().set(CONTEXT_KEY, { current: context } satisfies ContextBox);
    return fn();
  });
}
