import { Injectable } from '@nestjs/common';
import { ContextMissingError } from './context.errors';
import { fromEnvelope, toEnvelope, type ContextEnvelope } from './context-envelope';
import { readContext, runInContext, writeContext } from './context-store';
import type { Actor, RequestContext, RequestContextPatch } from './request-context';
import { uuidv7 } from './uuid';

/** What `run` needs; a missing requestId gets a fresh UUIDv7, a missing workspace is null. */
export interface RequestContextInit {
  requestId?: string;
  workspaceId?: string | null;
  actor: Actor;
}

/**
 * Reads and scopes the request context. Stateless (the context lives in AsyncLocalStorage),
 * so any module may provide it and every instance sees the same context.
 */
@Injectable()
export class ContextService {
  /** The current context, or undefined outside any request, job or `run`. */
  get(): RequestContext | undefined {
    return readContext();
  }

  /** The current context; throws `ContextMissingError` (CONTEXT_MISSING) when there is none. */
  require(): RequestContext {
    const context = readContext();
    if (!context) throw new ContextMissingError('ContextService.require()');
    return context;
  }

  /** Runs `fn` (sync or async) with a new context; the caller's context is untouched afterwards. */
  run<T>(init: RequestContextInit, fn: () => T): T {
    return runInContext({ requestId: init.requestId ?? uuidv7(), workspaceId: init.workspaceId ?? null, actor: init.actor }, fn);
  }

  /**
   * Replaces workspace and/or actor for the rest of the current unit of work (tenancy and
   * auth call this once they know them). Code that already read the context keeps its snapshot.
   */
  update(patch: RequestContextPatch): RequestContext {
    const current = readContext();
    if (!current) throw new ContextMissingError('ContextService.update()');
    const next: RequestContext = { ...current, ...patch };
    writeContext(next);
    return next;
  }

  /** The current context as a JSON envelope for a job payload, or null outside any context. */
  captureEnvelope(): ContextEnvelope | null {
    const context = readContext();
    return context ? toEnvelope(context) : null;
  }

  /**
   * Restores a context carried by a job and runs `fn` in it. `actor` overrides the envelope's
   * actor (for example `{ kind: 'Job', id: job.id }` when the job should act as itself).
   */
  runFromEnvelope<T>(envelope: unknown, fn: () => T, overrides: RequestContextPatch = {}): T {
    return runInContext({ ...fromEnvelope(envelope), ...overrides }, fn);
  }
}
