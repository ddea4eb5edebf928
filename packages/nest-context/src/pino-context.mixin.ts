import { readContext } from './context-store';

/** The fields the mixin adds to a log line. */
export interface ContextLogFields {
  requestId?: string;
  workspaceId?: string | null;
  actor?: { kind: string; id: string | null };
}

/**
 * A pino `mixin` that adds requestId, workspaceId and actor to every log line written inside
 * a context (nothing outside one). Needs no DI, so it fits `LoggerModule.forRoot` directly:
 *
 * @example LoggerModule.forRoot({ pinoHttp: { mixin: pinoContextMixin } })
 */
export function pinoContextMixin(): ContextLogFields {
  const context = readContext();
  if (!context) return {};
  return { requestId: context.requestId, workspaceId: context.workspaceId, actor: context.actor };
}
