import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ContextMissingError } from './context.errors';
import { ContextService } from './context.service';

const service = new ContextService();

describe('ContextService', () => {
  it('has no context outside run, and require() says how to get one', () => {
    expect(service.get()).toBeUndefined();
    expect(() => service.require()).toThrow(ContextMissingError);
    expect(() => service.require()).toThrow(/ContextModule\.forRoot\(\).*ContextService\.run/s);
    expect(() => service.update({ workspaceId: 'w' })).toThrow(ContextMissingError);
  });

  it('run() fills defaults and keeps the context across awaits', async () => {
    const seen = await service.run({ actor: { kind: 'System', id: null } }, async () => {
      await sleep(5);
      return service.require();
    });
    expect(seen.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.workspaceId).toBeNull();
    expect(seen.actor).toEqual({ kind: 'System', id: null });
    expect(service.get()).toBeUndefined();
  });

  it('keeps concurrent units of work apart', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        service.run({ requestId: `r${i}`, workspaceId: `w${i}`, actor: { kind: 'User', id: `u${i}` } }, async () => {
          await sleep(Math.random() * 10);
          service.update({ actor: { kind: 'User', id: `u${i}-authenticated` } });
          await sleep(Math.random() * 10);
          return service.require();
        }),
      ),
    );
    results.forEach((context, i) => {
      expect(context).toEqual({ requestId: `r${i}`, workspaceId: `w${i}`, actor: { kind: 'User', id: `u${i}-authenticated` } });
    });
  });

  it('update() replaces the context for the rest of the unit of work without touching the outer one', () => {
    service.run({ requestId: 'outer', actor: { kind: 'User', id: null } }, () => {
      const before = service.require();
      service.run({ requestId: 'inner', actor: { kind: 'System', id: null } }, () => {
        service.update({ workspaceId: 'ws-inner' });
        expect(service.require().workspaceId).toBe('ws-inner');
      });
      expect(service.require()).toBe(before);
      const after = service.update({ workspaceId: 'ws-outer' });
      expect(after).toEqual({ ...before, workspaceId: 'ws-outer' });
      expect(before.workspaceId).toBeNull(); // snapshots already read stay as they were
    });
  });

  it('carries a context into a job through an envelope and restores it there', async () => {
    const envelope = service.run({ requestId: 'req-7', workspaceId: 'ws-7', actor: { kind: 'User', id: 'u-7' } }, () => service.captureEnvelope());
    expect(service.captureEnvelope()).toBeNull();
    const payload = JSON.parse(JSON.stringify({ data: 1, context: envelope }));

    const inJob = await service.runFromEnvelope(payload.context, async () => service.require());
    expect(inJob).toEqual({ requestId: 'req-7', workspaceId: 'ws-7', actor: { kind: 'User', id: 'u-7' } });

    const asJob = service.runFromEnvelope(payload.context, () => service.require(), { actor: { kind: 'Job', id: 'job-1' } });
    expect(asJob.actor).toEqual({ kind: 'Job', id: 'job-1' });
    expect(asJob.workspaceId).toBe('ws-7');
  });
});
