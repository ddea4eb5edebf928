import { InvalidEnvelopeError } from './context.errors';
import { ACTOR_KINDS, type ActorKind, type RequestContext } from './request-context';

/**
 * The request context as plain JSON, to travel inside a job payload or message and be
 * restored on the other side. Versioned so a newer worker can still read older jobs.
 */
export interface ContextEnvelope {
  readonly v: 1;
  readonly requestId: string;
  readonly workspaceId: string | null;
  readonly actor: { readonly kind: ActorKind; readonly id: string | null };
}

/** Snapshot a context into an envelope (plain, JSON-safe object). */
export function toEnvelope(context: RequestContext): ContextEnvelope {
  return {
    v: 1,
    requestId: context.requestId,
    workspaceId: context.workspaceId,
    actor: { kind: context.actor.kind, id: context.actor.id },
  };
}

/** Reads an envelope back (validating it: it crossed a process boundary) into a context. */
export function fromEnvelope(value: unknown): RequestContext {
  if (typeof value !== 'object' || value === null) throw new InvalidEnvelopeError('expected an object');
  const envelope = value as Record<string, unknown>;
  if (envelope.v !== 1) throw new InvalidEnvelopeError(`unsupported version ${JSON.stringify(envelope.v)}`);
  if (typeof envelope.requestId !== 'string' || envelope.requestId === '') {
    throw new InvalidEnvelopeError('requestId must be a non-empty string');
  }
  if (envelope.workspaceId !== null && typeof envelope.workspaceId !== 'string') {
    throw new InvalidEnvelopeError('workspaceId must be a string or null');
  }
  const actor = envelope.actor as Record<string, unknown> | null | undefined;
  if (typeof actor !== 'object' || actor === null || !ACTOR_KINDS.includes(actor.kind as ActorKind)) {
    throw new InvalidEnvelopeError(`actor.kind must be one of ${ACTOR_KINDS.join(', ')}`);
  }
  if (actor.id !== null && typeof actor.id !== 'string') {
    throw new InvalidEnvelopeError('actor.id must be a string or null');
  }
  return {
    requestId: envelope.requestId,
    workspaceId: envelope.workspaceId,
    actor: { kind: actor.kind as ActorKind, id: actor.id },
  };
}
