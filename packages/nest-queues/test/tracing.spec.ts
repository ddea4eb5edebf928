import { ContextModule, ContextService } from '@acme/nest-context';
import {
  bootstrapWorker,
  defineQueue,
  getProducerToken,
  InjectProducer,
  Producer,
  QueueProcessor,
  QueuesModule,
  type QueueJob,
  type WorkerProcess,
} from '@acme/nest-queues';
import { startHttpApp } from '@acme/nest-testing';
import type { INestApplicationContext } from '@nestjs/common';
import { Controller, Module, Post, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testRedis, waitFor, type TestRedis } from './support/redis';

const invoices = defineQueue({
  name: 'traced-invoices',
  payload: z.object({ n: z.number() }),
  defaults: { attempts: 2, backoff: { type: 'fixed', delay: 10 } },
});

/** What the processor saw while it ran: the active span and the request context. */
const seen: { n: number; attempt: number; traceId?: string; spanId?: string; workspaceId?: string | null }[] = [];

@QueueProcessor(invoices)
class InvoicesProcessor {
  process(payload: { n: number }, job: QueueJob<typeof invoices>) {
    const span = trace.getActiveSpan()?.spanContext();
    seen.push({ n: payload.n, attempt: job.attemptsMade, traceId: span?.traceId, spanId: span?.spanId, workspaceId: new ContextService().get()?.workspaceId });
    // n = 2 fails its first attempt: its retry shows how retries are traced
    if (payload.n === 2 && job.attemptsMade === 0) throw new Error('first attempt fails');
  }
}

const exporter = new InMemorySpanExporter();

function registerTracing(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
}

function unregisterTracing(): void {
  trace.disable();
  context.disable();
}

const jobSpans = (n: number) =>
  exporter
    .getFinishedSpans()
    .filter((span) => span.name === 'traced-invoices process' && seen.some((s) => s.n === n && s.spanId === span.spanContext().spanId));

describe('trace context from the enqueuing span into the job', () => {
  let redis: TestRedis;
  let app: INestApplicationContext;
  let producer: Producer<typeof invoices>;
  const request = { requestId: 'req-trace', workspaceId: '0190a000-0000-7000-8000-000000000001', actor: { kind: 'User', id: 'u1' } } as const;

  /** Enqueues `n` inside a request context, in the span "POST /invoices" when tracing is registered. */
  const enqueueInRequest = (n: number) =>
    new ContextService().run(request, () =>
      trace.getTracer('test').startActiveSpan('POST /invoices', { kind: SpanKind.SERVER }, async (span: Span) => {
        try {
          return { job: await producer.add({ n }), span: span.spanContext() };
        } finally {
          span.end();
        }
      }),
    );

  beforeAll(async () => {
    redis = await testRedis();
    @Module({
      imports: [ContextModule.forRoot(), QueuesModule.forRoot(redis.options({ runWorkers: true })), QueuesModule.forFeature([invoices])],
      providers: [InvoicesProcessor],
    })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    producer = app.get(getProducerToken(invoices));
  });
  afterEach(() => {
    unregisterTracing();
    exporter.reset();
  });
  afterAll(async () => {
    await app?.close();
    await redis?.close();
  });

  it('with @opentelemetry/api but no tracer registered, jobs carry no trace context', async () => {
    const { job } = await enqueueInRequest(0);
    expect(job.data).not.toHaveProperty('trace');
    expect(job.data.context).toMatchObject({ requestId: 'req-trace' });
    await waitFor(() => seen.find((s) => s.n === 0), { what: 'job 0 processed' });
  });

  it('the first attempt runs in a CONSUMER span, child of the enqueuing span (same trace)', async () => {
    registerTracing();
    const { job, span: requestSpan } = await enqueueInRequest(1);
    expect(job.data.trace).toEqual({ traceparent: `00-${requestSpan.traceId}-${requestSpan.spanId}-01` });

    const run = await waitFor(() => seen.find((s) => s.n === 1), { what: 'job 1 processed' });
    const [span] = await waitFor(() => (jobSpans(1).length ? jobSpans(1) : undefined), { what: 'job 1 span' });
    expect(span!.spanContext().traceId).toBe(requestSpan.traceId);
    expect(span!.parentSpanContext?.spanId).toBe(requestSpan.spanId);
    expect(span!.links).toEqual([]);
    expect(span!.kind).toBe(SpanKind.CONSUMER);
    expect(span!.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.destination.name': 'traced-invoices',
      'messaging.message.id': job.id,
      'messaging.operation.type': 'process',
      'messaging.bullmq.job.attempt': 1,
    });
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
    // The processor ran inside that span, and inside the request's context
    expect(run).toMatchObject({ traceId: requestSpan.traceId, spanId: span!.spanContext().spanId, workspaceId: request.workspaceId });
  });

  it('a retry runs in a new trace linked to the enqueuing span; the failed attempt records the error', async () => {
    registerTracing();
    const { span: requestSpan } = await enqueueInRequest(2);
    await waitFor(() => seen.filter((s) => s.n === 2).length === 2, { what: 'job 2 retried' });
    const spans = await waitFor(() => (jobSpans(2).length === 2 ? jobSpans(2) : undefined), { what: 'job 2 spans' });
    const first = spans.find((span) => span.attributes['messaging.bullmq.job.attempt'] === 1)!;
    const retry = spans.find((span) => span.attributes['messaging.bullmq.job.attempt'] === 2)!;

    expect(first.parentSpanContext?.spanId).toBe(requestSpan.spanId);
    expect(first.status).toEqual({ code: SpanStatusCode.ERROR, message: 'first attempt fails' });
    expect(first.events.map((event) => event.name)).toContain('exception');

    expect(retry.parentSpanContext).toBeUndefined();
    expect(retry.spanContext().traceId).not.toBe(requestSpan.traceId);
    expect(retry.links.map((link) => link.context)).toEqual([expect.objectContaining({ traceId: requestSpan.traceId, spanId: requestSpan.spanId })]);
    expect(retry.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('a malformed trace context is ignored: the job runs, in a span of its own', async () => {
    registerTracing();
    const queue = producer.queue;
    const job = await queue.add('traced-invoices', { payload: { n: 3 }, context: null, trace: { traceparent: '00-zz-not-a-trace' } } as never);
    await waitFor(() => seen.find((s) => s.n === 3), { what: 'job 3 processed' });
    const [span] = await waitFor(() => (jobSpans(3).length ? jobSpans(3) : undefined), { what: 'job 3 span' });
    expect(span!.parentSpanContext).toBeUndefined();
    expect(span!.links).toEqual([]);
    expect(span!.attributes['messaging.message.id']).toBe(job.id);
  });
});

const signups = defineQueue({ name: 'traced-signups', payload: z.object({ email: z.string() }) });
const signupRuns: { traceId?: string; spanId?: string; requestId?: string }[] = [];
const serverSpans: { traceId: string; spanId: string }[] = [];

@QueueProcessor(signups)
class SignupsProcessor {
  process() {
    const span = trace.getActiveSpan()?.spanContext();
    signupRuns.push({ traceId: span?.traceId, spanId: span?.spanId, requestId: new ContextService().get()?.requestId });
  }
}

@Controller('signups')
class SignupsController {
  constructor(@InjectProducer(signups) private readonly producer: Producer<typeof signups>) {}

  @Post()
  async signUp() {
    return { jobId: (await this.producer.add({ email: 'a@example.com' })).id };
  }
}

/** What HTTP instrumentation does: every request runs in a SERVER span. */
function serverSpan(request: { method: string; url: string }, response: { once(event: 'finish', fn: () => void): void }, next: () => void): void {
  const span = trace.getTracer('http').startSpan(`${request.method} ${request.url}`, { kind: SpanKind.SERVER });
  serverSpans.push(span.spanContext());
  response.once('finish', () => span.end());
  context.with(trace.setSpan(context.active(), span), next);
}

describe('across processes: an HTTP request in the API app, its job in a separate worker app', () => {
  let redis: TestRedis;
  let worker: WorkerProcess | undefined;
  beforeAll(async () => {
    redis = await testRedis();
    registerTracing();
  });
  afterAll(async () => {
    await worker?.shutdown();
    unregisterTracing();
    exporter.reset();
    await redis?.close();
  });

  it('the job span is a child of the request’s server span, in the same trace', async () => {
    @Module({ imports: [ContextModule.forRoot(), QueuesModule.forRoot(redis.options()), QueuesModule.forFeature([signups])], controllers: [SignupsController] })
    class ApiModule implements NestModule {
      configure(consumer: MiddlewareConsumer) {
        consumer.apply(serverSpan).forRoutes('*path');
      }
    }
    @Module({ imports: [ContextModule.forRoot(), QueuesModule.forRoot(redis.options())], providers: [SignupsProcessor] })
    class WorkerModule {}

    const http = await startHttpApp(ApiModule, 'express');
    try {
      const response = await http.request('POST', '/signups', { headers: { 'x-request-id': 'req-signup-traced' } });
      expect(response.status).toBe(201);
    } finally {
      await http.close();
    }
    const [server] = serverSpans;
    expect(server).toBeDefined();

    worker = await bootstrapWorker(WorkerModule, { exitProcess: false, signals: [], logger: false });
    const [run] = await waitFor(() => (signupRuns.length ? signupRuns : undefined), { what: 'the signup job processed' });
    const span = exporter.getFinishedSpans().find((candidate) => candidate.spanContext().spanId === run!.spanId);
    expect(span?.name).toBe('traced-signups process');
    expect(span!.spanContext().traceId).toBe(server!.traceId);
    expect(span!.parentSpanContext?.spanId).toBe(server!.spanId);
    expect(run!.requestId).toBe('req-signup-traced');
  });
});
