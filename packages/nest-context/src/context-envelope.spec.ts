import { describe, expect, it } from 'vitest';
import { InvalidEnvelopeError } from './context.errors';
import { fromEnvelope, toEnvelope } from './context-envelope';
import type { RequestContext } from './request-context';

const context: RequestContext = {
  requestId: 'req-1',
  workspaceId: '0190a0b2-0000-7000-8000-000000000001',
  actor: { kind: 'User', id: 'user-1' },
};

describe('context envelope', () => {
  it('survives a JSON round trip (a job payload) unchanged', () => {
    const envelope = JSON.parse(JSON.stringify(toEnvelope(context)));
    expect(envelope.v).toBe(1);
    expect(fromEnvelope(envelope)).toEqual(context);
  });

  it('keeps a null workspace and a null actor id', () => {
    const system: RequestContext = { requestId: 'r', workspaceId: null, actor: { kind: 'System', id: null } };
    expect(fromEnvelope(toEnvelope(system))).toEqual(system);
  });

  it.each([
    ['not an object', 'oops', 'expected an object'],
    ['an unknown version', { ...toEnvelope(context), v: 2 }, 'unsupported version 2'],
    ['an empty request id', { ...toEnvelope(context), requestId: '' }, 'requestId'],
    ['a numeric workspace', { ...toEnvelope(context), workspaceId: 7 }, 'workspaceId'],
    ['a lower-case actor kind', { ...toEnvelope(context), actor: { kind: 'user', id: 'u' } }, 'actor.kind'],
    ['a missing actor', { ...toEnvelope(context), actor: undefined }, 'actor.kind'],
    ['a numeric actor id', { ...toEnvelope(context), actor: { kind: 'Job', id: 1 } }, 'actor.id'],
  ])('rejects %s with a typed error', (_case, value, message) => {
    expect(() => fromEnvelope(value)).toThrow(InvalidEnvelopeError);
    expect(() => fromEnvelope(value)).toThrow(message);
    try {
      fromEnvelope(value);
    } catch (error) {
      expect((error as InvalidEnvelopeError).code).toBe('CONTEXT_INVALID_ENVELOPE');
    }
  });
});
