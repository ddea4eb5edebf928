import { importOptional } from '@acme/nest-context';
import type * as OpenTelemetry from '@opentelemetry/api';
import type { Job } from 'bullmq';

/**
 * The W3C Trace Context of the span a job was enqueued in (https://www.w3.org/TR/trace-context/),
 * in its header form: a carrier `propagation.extract` also reads.
 */
export interface JobTraceContext {
  /** `00-<trace id>-<parent span id>-<trace flags>`, lower-case hex. */
  readonly traceparent: string;
  /** Vendor-specific trace data, as the enqueuing span's tracer kept it; absent when empty. */
  readonly tracestate?: string;
}

/** What a Producer needs to stamp jobs with the active span. */
export interface TraceCapture {
  /** The active span's trace context, or undefined when no (valid) span is active. */
  capture(): JobTraceContext | undefined;
}

/** What a worker needs to process jobs in spans (see `JobTracing`). */
export interface JobSpans extends TraceCapture {
  process<T>(queue: string, job: Job, trace: unknown, fn: () => Promise<T>): Promise<T>;
}

type Api = typeof OpenTelemetry;

/** Internal DI token: the process's `JobTracing`, or null without `@opentelemetry/api`. */
export const JOB_TRACING = Symbol('@acme/nest-queues:job-tracing');

// version 00: version-traceid-parentid-flags, lower-case hex; all-zero ids are invalid.
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
// The spec allows 32 list members of up to 256 + 1 characters each; a longer header is not one a tracer wrote.
const MAX_TRACESTATE = 8_192;

/**
 * Trace propagation into jobs through `@opentelemetry/api`, an optional peer: the producer writes the
 * active span's trace context into the job data, the worker processes each job in a CONSUMER span,
 * a child of that span on the first attempt and a new trace linked to it on retries (one trace per
 * request stays readable when a job retries for hours).
 */
export class JobTracing implements JobSpans {
  constructor(private readonly api: Api) {}

  /**
   * Loads `@opentelemetry/api` when it is installed; null when it is not (then jobs carry no trace
   * context and processing starts no span). Without a registered tracer provider its spans are no-ops.
   */
  static async load(): Promise<JobTracing | null> {
    const api = await importOptional(() => import('@opentelemetry/api'), '@opentelemetry/api');
    return api ? new JobTracing(api) : null;
  }

  capture(): JobTraceContext | undefined {
    const span = this.api.trace.getActiveSpan();
    if (!span) return undefined;
    const { traceId, spanId, traceFlags, traceState } = span.spanContext();
    if (!this.api.isSpanContextValid({ traceId, spanId, traceFlags })) return undefined;
    const traceparent = `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
    const tracestate = traceState?.serialize();
    return tracestate ? { traceparent, tracestate } : { traceparent };
  }

  /**
   * Runs `fn` in the span `<queue> process` (kind CONSUMER): a child of the job's trace context on
   * its first attempt, a new root with a link to it on later ones. A failure is recorded on the span
   * (exception event, status ERROR) and rethrown.
   */
  process<T>(queue: string, job: Job, trace: unknown, fn: () => Promise<T>): Promise<T> {
    const { api } = this;
    const remote = this.extract(trace);
    const first = job.attemptsMade === 0;
    const parent = remote && first ? api.trace.setSpanContext(api.ROOT_CONTEXT, remote) : api.ROOT_CONTEXT;
    // The tracer per job, not per process: a tracer provider registered after bootstrap still applies.
    const span = api.trace.getTracer('@acme/nest-queues').startSpan(
      `${queue} process`,
      {
        kind: api.SpanKind.CONSUMER,
        root: !(remote && first),
        ...(remote && !first ? { links: [{ context: remote }] } : {}),
        attributes: {
          'messaging.system': 'bullmq',
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.destination.name': queue,
          ...(job.id === undefined ? {} : { 'messaging.message.id': job.id }),
          'messaging.bullmq.job.name': job.name,
          // 1 on the first run: BullMQ counts attempts made once they end
          'messaging.bullmq.job.attempt': job.attemptsMade + 1,
        },
      },
      parent,
    );
    return api.context.with(api.trace.setSpan(parent, span), async () => {
      try {
        return await fn();
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  /** The remote span context a job carries, or undefined (absent, malformed: a job never fails for its trace context). */
  private extract(trace: unknown): OpenTelemetry.SpanContext | undefined {
    if (typeof trace !== 'object' || trace === null) return undefined;
    const { traceparent, tracestate } = trace as Record<string, unknown>;
    if (typeof traceparent !== 'string') return undefined;
    const match = TRACEPARENT.exec(traceparent);
    if (!match) return undefined;
    const context: OpenTelemetry.SpanContext = {
      traceId: match[1]!,
      spanId: match[2]!,
      traceFlags: Number.parseInt(match[3]!, 16),
      isRemote: true,
      ...(typeof tracestate === 'string' && tracestate.length <= MAX_TRACESTATE ? { traceState: this.api.createTraceState(tracestate) } : {}),
    };
    return this.api.isSpanContextValid(context) ? context : undefined;
  }
}
