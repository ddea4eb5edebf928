import { describe, expect, it } from 'vitest';
import { defineContextSlot } from './context-slot';
import { ContextService } from './context.service';

const context = new ContextService();
const actor = { kind: 'User', id: 'u1' } as const;

describe('defineContextSlot', () => {
  it('holds nothing and sets nothing outside any context', () => {
    const slot = defineContextSlot<string>('@acme/test:outside');
    expect(slot.set('x')).toBe(false);
    expect(slot.get()).toBeUndefined();
  });

  it('keeps a value set in a request for the rest of that request, across awaits, and not in another', async () => {
    const slot = defineContextSlot<string>('@acme/test:per-request');
    const seen = await Promise.all(
      ['a', 'b'].map((value) =>
        context.run({ actor }, async () => {
          expect(slot.set(value)).toBe(true);
          await new Promise((resolve) => setTimeout(resolve, 5));
          return slot.get();
        }),
      ),
    );
    expect(seen).toEqual(['a', 'b']);
    expect(slot.get()).toBeUndefined();
  });

  it('run() scopes a value: the caller sees its own again afterwards, and other slots stay visible inside', async () => {
    const inner = defineContextSlot<number>('@acme/test:inner');
    const other = defineContextSlot<string>('@acme/test:other');
    await context.run({ actor }, async () => {
      other.set('kept');
      inner.set(1);
      const insideValues = await inner.run(2, async () => {
        await Promise.resolve();
        return [inner.get(), other.get(), context.get()?.actor.id];
      });
      expect(insideValues).toEqual([2, 'kept', 'u1']);
      expect(inner.get()).toBe(1);
    });
  });

  it('run() opens a scope when none is active', () => {
    const slot = defineContextSlot<string>('@acme/test:opens');
    expect(slot.run('v', () => slot.get())).toBe('v');
    expect(slot.get()).toBeUndefined();
  });

  it('two definitions of one name share the slot (two copies of a package in one process)', () => {
    const esmCopy = defineContextSlot<string>('@acme/test:shared');
    const cjsCopy = defineContextSlot<string>('@acme/test:shared');
    expect(esmCopy.run('same', () => cjsCopy.get())).toBe('same');
  });

  it('a context update made inside a nested scope is seen by the whole request', async () => {
    const slot = defineContextSlot<string>('@acme/test:nested-update');
    await context.run({ actor }, async () => {
      await slot.run('tx', async () => {
        context.update({ workspaceId: '0b3c8e2a-1f4d-4c5e-9a6b-7c8d9e0f1a2b' });
      });
      expect(context.require().workspaceId).toBe('0b3c8e2a-1f4d-4c5e-9a6b-7c8d9e0f1a2b');
    });
  });
});
