import { Inject } from '@nestjs/common';
import type { QueueDefinition } from './queue-definition';

const nameOf = (queue: QueueDefinition | string): string => (typeof queue === 'string' ? queue : queue.name);

/**
 * DI token of the `Producer` of a queue. A registry symbol, so it survives two copies of this
 * package in one app. Use `@InjectProducer(queue)` rather than the token itself.
 */
export function getProducerToken(queue: QueueDefinition | string): symbol {
  return Symbol.for(`@acme/nest-queues:producer:${nameOf(queue)}`);
}

/**
 * Injects the typed `Producer` of a queue registered with `QueuesModule.forFeature([queue])`.
 *
 * @example constructor(@InjectProducer(emails) private readonly emails: Producer<typeof emails>) {}
 */
export function InjectProducer(queue: QueueDefinition | string): ParameterDecorator & PropertyDecorator {
  return Inject(getProducerToken(queue));
}
