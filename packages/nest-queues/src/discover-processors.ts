import type { DiscoveryService } from '@nestjs/core';
import { CRON_METADATA, type CronMetadata } from './cron.decorator';
import { ON_QUEUE_EVENT_METADATA, type QueueEventName } from './on-queue-event.decorator';
import { QUEUE_PROCESSOR_METADATA, type QueueHandler, type QueueProcessorMetadata } from './queue-processor.decorator';
import { WorkerStartupError } from './queues.errors';

type Class = abstract new (...args: never[]) => unknown;
type ProviderWrapper = ReturnType<DiscoveryService['getProviders']>[number];

/** A processor found in the app, with its instance and event handlers. */
export interface DiscoveredProcessor extends QueueProcessorMetadata {
  instance: QueueHandler;
  events: Map<QueueEventName, Array<(...args: unknown[]) => unknown>>;
}

/**
 * Finds every `@QueueProcessor` provider and every `@Cron` in the app's module graph, whether the
 * class is provided as itself (`useClass`), built by a factory (`useFactory`) or given as an
 * instance (`useValue`).
 */
export function discoverProcessors(discovery: DiscoveryService): { processors: DiscoveredProcessor[]; crons: CronMetadata[] } {
  const processors = new Map<string, DiscoveredProcessor & { type: Class }>();
  const crons = new Map<Class, CronMetadata[]>();
  for (const wrapper of discovery.getProviders()) {
    if (wrapper.isAlias) continue; // useExisting: the same instance is listed under its own token
    const type = classOf(wrapper);
    if (!type) continue;
    const cronsOfType: CronMetadata[] | undefined = Reflect.getMetadata(CRON_METADATA, type);
    if (cronsOfType) crons.set(type, cronsOfType); // a class listed in two modules counts once
    const metadata: QueueProcessorMetadata | undefined = Reflect.getMetadata(QUEUE_PROCESSOR_METADATA, type);
    if (!metadata) continue;
    if (!wrapper.isDependencyTreeStatic() || !wrapper.instance) {
      throw new WorkerStartupError(
        `@QueueProcessor ${type.name} must be a singleton provider: remove its request or transient scope (and that of what it injects).`,
      );
    }
    const existing = processors.get(metadata.queue.name);
    if (existing && existing.type !== type) {
      throw new WorkerStartupError(
        `Queue "${metadata.queue.name}" has two processors, ${existing.type.name} and ${type.name}: keep one @QueueProcessor class per queue.`,
      );
    }
    if (existing) continue;
    const instance = wrapper.instance as QueueHandler;
    processors.set(metadata.queue.name, { ...metadata, instance, events: eventHandlers(instance), type });
  }
  return { processors: [...processors.values()], crons: [...crons.values()].flat() };
}

/**
 * The class a provider's instance is made from. For a class provider that is its `metatype`. For a
 * factory provider `metatype` is the factory (and `inject` is set), for a value provider it is null:
 * the instance's constructor tells the class then, as in @nestjs/bullmq's explorer. Those instances
 * exist by the time workers start (after the app is initialized); a request-scoped factory has none.
 */
function classOf(wrapper: ProviderWrapper): Class | undefined {
  const { metatype, inject } = wrapper;
  if (metatype && !inject) return typeof metatype === 'function' ? (metatype as Class) : undefined;
  const constructor = (wrapper.instance as { constructor?: unknown } | null | undefined)?.constructor;
  return typeof constructor === 'function' && constructor !== Object ? (constructor as Class) : undefined;
}

function eventHandlers(instance: object): Map<QueueEventName, Array<(...args: unknown[]) => unknown>> {
  const handlers = new Map<QueueEventName, Array<(...args: unknown[]) => unknown>>();
  const seen = new Set<string>();
  for (let proto = Object.getPrototypeOf(instance); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || seen.has(key)) continue;
      seen.add(key);
      const method = Object.getOwnPropertyDescriptor(proto, key)?.value;
      if (typeof method !== 'function') continue;
      const events: QueueEventName[] | undefined = Reflect.getMetadata(ON_QUEUE_EVENT_METADATA, method);
      for (const event of events ?? []) handlers.set(event, [...(handlers.get(event) ?? []), method]);
    }
  }
  return handlers;
}
