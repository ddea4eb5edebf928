import { currentTraceIds, pinoContextMixin } from '@acme/nest-context';

/**
 * The pino mixin of both processes: requestId, workspaceId and actor inside a request or job context,
 * trace_id and span_id inside an OpenTelemetry span (when an SDK is registered; none is by default).
 */
export function logMixin() {
  return { ...pinoContextMixin(), ...currentTraceIds() };
}
