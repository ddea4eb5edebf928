import type { DiscoveryService } from '@nestjs/core';
import { CRON_METADATA, type CronMetadata } from './cron.decorator';
import { ON_QUEUE_EVENT_METADATA, type QueueEventName } from './on-queue-event.decorator';
import { QUEUE_PROCESSOR_METADATA, type QueueHandler, type QueueProcessorMetadata } from './queue-processor.decorator';
import { WorkerStartupError } from './queues.errors';

type Class = abstract new (...args: never[]) => unknown;

/** A processor found in the app, with its instance and event handlers. */
export interface DiscoveredProcessor extends QueueProcessorMetadata {
  instance: QueueHandler;
  events: Map<QueueEventName, Array<(...args: unknown[]) => unknown>>;
}

/** Finds every `@QueueProcessor` provider and every `@Cron` in the app's module graph. */
export function discoverProcessors(discovery: DiscoveryService): { processors: DiscoveredProcessor[]; crons: CronMetadata[] } {
  const processors = new Map<string, DiscoveredProcessor & { type: Class }>();
  const crons = new Map<Class, CronMetadata[]>();
  for (const wrapper of discovery.getProviders()) {
    const type = wrapper.metatype as Class | null;
    if (typeof type !== 'function') continue;
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
