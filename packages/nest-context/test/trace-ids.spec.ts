import { Writable } from 'node:stream';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ContextModule, ContextService, currentTraceIds, loadTraceApi, pinoContextMixin } from '@acme/nest-context';

const span = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };

/** Runs `fn` with `span` active (a remote span context: no SDK needed to make it current). */
const inSpan = <T>(fn: () => T): T => context.with(trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(span)), fn);

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  // The mixin an app composes: request context and trace ids on every line.
  return { logger: pino({ mixin: () => ({ ...pinoContextMixin(), ...currentTraceIds() }) }, sink), lines };
}

describe('currentTraceIds', () => {
  afterEach(() => context.disable());

  it('gives nothing before @opentelemetry/api is loaded, then the active span’s ids once ContextModule.forRoot() booted', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    expect(inSpan(() => currentTraceIds())).toEqual({});

    @Module({ imports: [ContextModule.forRoot()] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    try {
      expect(inSpan(() => currentTraceIds())).toEqual({ trace_id: span.traceId, span_id: span.spanId });
      expect(currentTraceIds()).toEqual({});
      // an invalid (all-zero) span context is no span
      expect(context.with(trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext({ ...span, traceId: '0'.repeat(32) })), () => currentTraceIds())).toEqual({});
    } finally {
      await app.close();
    }
  });

  it('log lines written in a span carry trace_id and span_id next to the request context; others do not', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    expect(await loadTraceApi()).toBe(true);
    const { logger, lines } = captureLogger();
    await new ContextService().run({ requestId: 'req-t', workspaceId: null, actor: { kind: 'System', id: null } }, () =>
      inSpan(async () => {
        await Promise.resolve();
        logger.info('in a span');
      }),
    );
    logger.info('outside');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).toMatchObject({ msg: 'in a span', requestId: 'req-t', trace_id: span.traceId, span_id: span.spanId });
    expect(lines[1]).not.toHaveProperty('trace_id');
    expect(lines[1]).not.toHaveProperty('span_id');
  });

  it('without a registered context manager no span is active: nothing is added', () => {
    expect(inSpan(() => currentTraceIds())).toEqual({});
  });
});
