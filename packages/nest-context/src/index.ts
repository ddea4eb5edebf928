export type { Actor, ActorKind, RequestContext, RequestContextPatch } from './request-context';
export { ContextService, type RequestContextInit } from './context.service';
export { ContextModule } from './context.module';
export { CONTEXT_MODULE_OPTIONS } from './context.module-definition';
export type { ContextModuleExtras, ContextModuleOptions } from './context.options';
export { ContextMiddleware } from './context.middleware';
export { fromEnvelope, toEnvelope, type ContextEnvelope } from './context-envelope';
export { pinoContextMixin, type ContextLogFields } from './pino-context.mixin';
export { requestIdFrom } from './request-id';
export { uuidv7 } from './uuidv7';
export { ContextError, ContextMissingError, InvalidEnvelopeError } from './context.errors';
export { ContextOptionsError } from './validate-context-options';
export {
  assertRedisDurability,
  readRedisDurability,
  RedisDurabilityError,
  type AssertRedisDurabilityOptions,
  type RedisDurability,
  type RedisInfoClient,
} from './redis-durability';
export { afterCommit, runInCommitScope, type CommitScopeOptions } from './commit-scope';
