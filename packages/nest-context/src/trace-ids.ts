import type * as OpenTelemetry from '@opentelemetry/api';
import { importOptional } from './import-optional';

/** The ids `currentTraceIds` gives for the active span, named as log pipelines expect them. */
export interface TraceLogFields {
  /** 32 lower-case hex digits. */
  trace_id?: string;
  /** 16 lower-case hex digits. */
  span_id?: string;
}

// The module once loaded, one per process like the module cache it mirrors (@opentelemetry/api keeps
// its tracer provider and context manager process-global itself): log mixins and audit entries are
// built synchronously, so the import has to have happened before them.
let api: typeof OpenTelemetry | undefined;
let loading: Promise<boolean> | undefined;

/**
 * Loads `@opentelemetry/api` when it is installed (an optional peer), once; resolves whether it is.
 * `ContextModule.forRoot()` calls it at bootstrap; call it yourself only where no Nest app runs.
 */
export function loadTraceApi(): Promise<boolean> {
  loading ??= importOptional(() => import('@opentelemetry/api'), '@opentelemetry/api').then((loaded) => {
    api = loaded;
    return loaded !== undefined;
  });
  return loading;
}

/**
 * The trace and span ids of the active OpenTelemetry span, for a log line or an audit entry: `{}` when
 * no valid span is active, `@opentelemetry/api` is not installed, or it is not loaded yet.
 *
 * @example LoggerModule.forRoot({ pinoHttp: { mixin: () => ({ ...pinoContextMixin(), ...currentTraceIds() }) } })
 */
export function currentTraceIds(): TraceLogFields {
  const span = api?.trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  return api!.isSpanContextValid({ traceId, spanId, traceFlags }) ? { trace_id: traceId, span_id: spanId } : {};
}
