import { ClsServiceManager, type ClsService } from 'nestjs-cls';
import type { RequestContext } from './request-context';

// A registry symbol (not a string path): survives two copies of this package in one
// process, and nestjs-cls stores symbol keys as-is instead of splitting them on dots.
const CONTEXT_KEY = Symbol.for('@acme/nest-context:request-context');

/**
 * The AsyncLocalStorage behind the context is nestjs-cls's process-wide one, reached without
 * DI, so the context works whether or not the app configured ClsModule, and an app that did
 * keeps its own setup (our values live under one symbol key in its store).
 */
export function cls(): ClsService {
  return ClsServiceManager.getClsService();
}

export function readContext(): RequestContext | undefined {
  const store = cls();
  return store.isActive() ? (store.get(CONTEXT_KEY) as RequestContext | undefined) : undefined;
}

/** Writes into the active CLS store; the caller checked that one is active. */
export function writeContext(context: RequestContext): void {
  cls().set(CONTEXT_KEY, context);
}

/** Runs `fn` in a new CLS scope that inherits the app's other CLS values and holds `context`. */
export function runInContext<T>(context: RequestContext, fn: () => T): T {
  return cls().run({ ifNested: 'inherit' }, () => {
    writeContext(context);
    return fn();
  });
}
