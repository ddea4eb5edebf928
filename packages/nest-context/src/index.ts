export type { Actor, ActorKind, RequestContext, RequestContextPatch } from './request-context';
export { ContextService, type RequestContextInit } from './context.service';
export { ContextModule } from './context.module';
export { CONTEXT_MODULE_OPTIONS } from './context.module-definition';
export type { ContextModuleExtras, ContextModuleOptions } from './context.options';
export { ContextMiddleware } from './context.middleware';
export { fromEnvelope, toEnvelope, type ContextEnvelope } from './context-envelope';
export { pinoContextMixin, type ContextLogFields } from './pino-context.mixin';
export { currentTraceIds, loadTraceApi, type TraceLogFields } from './trace-ids';
export { requestIdFrom } from './request-id';
export { isUuid, uuidv7 } from './uuid';
export { importOptional } from './import-optional';
export { AcmeError } from './acme-error';
export { AcmeHttpException, type AcmeHttpErrorBody } from './acme-http.exception';
export { ContextError, ContextMissingError, ContextNotConfiguredError, InvalidEnvelopeError } from './context.errors';
export { ContextOptionsError } from './validate-context-options';
export {
  assertRedisDurability,
  readRedisDurability,
  RedisDurabilityError,
  type AssertRedisDurabilityOptions,
  type RedisDurability,
  type RedisInfoClient,
} from './redis-durability';
export { isRedisClusterConnection, redisHashTag } from './redis-hash-tag';
export { afterCommit, runInCommitScope, type CommitScopeOptions } from './commit-scope';
export { defineContextSlot, type ContextSlot } from './context-slot';
export {
  AUTHORIZATION_DENIALS,
  DENIAL_CODES,
  type AuthorizationDenialListener,
  type AuthorizationDenials,
  type AuthorizationDenied,
  type DenialKind,
} from './contracts/authorization-denials';
export { AUTHORIZATION_DECISIONS, type AuthorizationDecision } from './contracts/authorization-decisions';
export { AUDITED_WRITES, type AuditedWrite, type AuditedWriteListener, type AuditedWrites } from './contracts/audited-writes';
export { ABILITY_FINGERPRINTS, type AbilityFingerprints } from './contracts/ability-fingerprints';
export {
  INVALIDATION_BUS,
  invalidateEverywhere,
  isInvalidationTrusted,
  type InvalidateEverywhereOptions,
  type InvalidationBus,
  type InvalidationHandler,
  type InvalidationMessage,
  type InvalidationTrust,
} from './contracts/invalidation-bus';
export { withTimeout } from './timeout';
export { isSqlIdentifier, isSqlSettingName } from './sql-identifier';
export { isStorableText, isUsableIdentity, MAX_IDENTITY_LENGTH } from './text-checks';
