import { isUuid } from '@acme/nest-context';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { runAuditedCall, type AuditDescription } from './audit-call';
import { AUDIT_METADATA, type AuditOptions } from './audit.decorator';
import { AuditRecorder } from './audit-recorder';
import { AuditError } from './audit.errors';

const WRAPPED = Symbol.for('@acme/nest-audit:wrapped');

/** Thrown at bootstrap when `@Audit` is somewhere it would not run. */
export class AuditConfigurationError extends AuditError {
  readonly code = 'AUDIT_INVALID_USE';
}

/**
 * Finds `@Audit` methods on every provider through Nest's discovery and wraps them on the
 * instance, so any caller (controller, processor, another service) goes through the audit.
 * The wrapper keeps the original's reflect metadata.
 */
@Injectable()
export class AuditExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly recorder: AuditRecorder,
  ) {}

  onModuleInit(): void {
    // Route handlers are bound before init hooks run, so a wrapper on a controller would never be called.
    for (const wrapper of this.discovery.getControllers()) {
      const prototype = wrapper.metatype?.prototype as Record<string, unknown> | undefined;
      if (!prototype) continue;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        if (Reflect.getMetadata(AUDIT_METADATA, prototype[name] as object)) {
          throw new AuditConfigurationError(
            `@Audit is on ${wrapper.name}.${name}, a controller method. Put it on the service method the controller calls: ` +
              'that is where the mutation happens, and it is audited whoever calls it.',
          );
        }
      }
    }
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string | symbol, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const original = instance[name];
        if (typeof original !== 'function' || (original as { [WRAPPED]?: boolean })[WRAPPED]) continue;
        const options = Reflect.getMetadata(AUDIT_METADATA, original) as AuditOptions | undefined;
        if (options) instance[name] = this.wrap(original as (...args: unknown[]) => unknown, options);
      }
    }
  }

  private wrap(original: (...args: unknown[]) => unknown, options: AuditOptions) {
    const recorder = this.recorder;
    // Returns what the call waits for before it resolves: the listeners of AUDITED_WRITES when it
    // succeeded outside a commit scope (inside one, the scope waits for them after its commit).
    const finish = (
      args: unknown[],
      description: AuditDescription,
      startedAt: number,
      started: number,
      outcome: { result: unknown } | { error: unknown },
    ): Promise<void> | undefined => {
      const result = 'result' in outcome ? outcome.result : undefined;
      const call = { args, result };
      const metadata = options.metadata ? safely(() => options.metadata!(call)) : undefined;
      return recorder.submit({
        action: options.action,
        subject: options.subject,
        subjectId: description.subjectId ?? safely(() => options.subjectId?.(call)) ?? defaultSubjectId(args, result),
        error: 'error' in outcome ? (outcome.error ?? new Error('Unknown failure')) : undefined,
        status: 'error' in outcome ? 'Failure' : 'Success',
        durationMs: performance.now() - started,
        occurredAt: new Date(startedAt),
        metadata: metadata && description.metadata ? { ...metadata, ...description.metadata } : (metadata ?? description.metadata),
        before: description.before,
        after: description.after,
      });
    };
    const wrapped = function (this: unknown, ...args: unknown[]) {
      const description: AuditDescription = {};
      const startedAt = Date.now();
      const started = performance.now();
      return runAuditedCall(description, () => {
        let result: unknown;
        try {
          result = original.apply(this, args);
        } catch (error) {
          finish(args, description, startedAt, started, { error });
          throw error;
        }
        if (isThenable(result)) {
          return result.then(
            (value) => {
              const announced = finish(args, description, startedAt, started, { result: value });
              return announced ? announced.then(() => value) : value;
            },
            (error: unknown) => {
              finish(args, description, startedAt, started, { error });
              throw error;
            },
          );
        }
        // A synchronous method cannot wait: its listeners have started, nothing awaits them.
        void finish(args, description, startedAt, started, { result });
        return result;
      });
    };
    copyMetadata(original, wrapped);
    Object.defineProperty(wrapped, 'name', { value: original.name });
    Object.defineProperty(wrapped, WRAPPED, { value: true });
    return wrapped;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

// What a first argument must look like to be taken for the subject's id: a UUID or an integer.
// Any other string may be a secret (a refresh token, a reset code) and is never stored.
const INTEGER = /^\d{1,19}$/;
const isIdLike = (value: string): boolean => isUuid(value) || INTEGER.test(value);

function defaultSubjectId(args: unknown[], result: unknown): string | number | null {
  const id = (result as { id?: unknown } | null)?.id;
  if (typeof id === 'string' || typeof id === 'number') return id;
  const [first] = args;
  if (typeof first === 'number' && Number.isFinite(first)) return first;
  return typeof first === 'string' && isIdLike(first) ? first : null;
}

/** A user-supplied option function that throws must not fail the business call. */
function safely<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** Route, guard and other decorators' metadata lives on the function: keep it on the wrapper. */
function copyMetadata(from: object, to: object): void {
  for (const key of Reflect.getMetadataKeys(from)) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, from), to);
  }
}
