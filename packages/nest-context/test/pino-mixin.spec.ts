import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ContextService, pinoContextMixin } from '@acme/nest-context';

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ mixin: pinoContextMixin }, sink), lines };
}

describe('pinoContextMixin', () => {
  it('adds requestId, workspaceId and actor to lines logged inside a context, nothing outside', async () => {
    const { logger, lines } = captureLogger();
    const context = new ContextService();
    logger.info('outside');
    await context.run({ requestId: 'req-9', workspaceId: 'ws-9', actor: { kind: 'Job', id: 'job-9' } }, async () => {
      await Promise.resolve();
      logger.info({ extra: true }, 'inside');
    });
    await new Promise((resolve) => setImmediate(resolve));

    expect(lines[0]).not.toHaveProperty('requestId');
    expect(lines[1]).toMatchObject({
      msg: 'inside',
      extra: true,
      requestId: 'req-9',
      workspaceId: 'ws-9',
      actor: { kind: 'Job', id: 'job-9' },
    });
  });
});
