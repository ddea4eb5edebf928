export { AuditModule } from './audit.module';
export { AUDIT_MODULE_OPTIONS } from './audit.module-definition';
export type {
  AuditCheckpointOptions,
  AuditDatabase,
  AuditIntegrityOptions,
  AuditMetricsOptions,
  AuditMetricsRegistry,
  AuditMigrateOptions,
  AuditModuleExtras,
  AuditModuleOptions,
  AuditQueueOptions,
} from './audit.options';
export { DEFAULT_REDACT } from './audit.options';
export { Audit, type AuditedCall, type AuditOptions } from './audit.decorator';
export { AuditService, type AuditTransaction } from './audit.service';
export type { AuditRecord } from './build-entry';
export type { AuditDescription } from './audit-call';
export { AUDIT_COLUMNS, DEFAULT_AUDIT_TABLE, type AuditEntry, type AuditStatus, type FieldChange } from './audit-entry';
export { AUDIT_CHAIN_COLUMNS, GLOBAL_CHAIN } from './integrity/chain-content';
export { AuditChainConflictError, AuditChainHeadError } from './integrity/chain-writer';
export { AuditIntegrityService } from './integrity/audit-integrity.service';
export {
  AuditCheckpointError,
  checkpointKeyId,
  signCheckpoint,
  verifyCheckpointSignature,
  type AuditCheckpoint,
  type AuditCheckpointErrorCode,
  type AuditCheckpointFields,
} from './integrity/checkpoint';
export {
  AUDIT_VERIFY_MAX_PROBLEMS,
  type AuditIntegrityProblem,
  type AuditIntegrityProblemKind,
  type AuditVerification,
  type AuditVerifyOptions,
} from './integrity/verify-result';
export { AuditVerifyError, type AuditVerifyErrorCode } from './integrity/verify.errors';
export type { AuditEraseActor, AuditEraseOptions, AuditEraseSubject, AuditErasure } from './integrity/erase-options';
export { AuditEraseError } from './integrity/erase.errors';
export { AuditQueryService } from './audit-query.service';
export { createAuditController, type AuditControllerOptions } from './audit.controller';
export {
  AuditError,
  AuditBatchFormatError,
  AuditDecoratorError,
  AuditMissingDependencyError,
  AuditRedisUnreachableError,
  AuditTimeoutError,
} from './audit.errors';
export { AuditClusterPrefixError } from './audit-cluster-prefix';
export { AuditConfigurationError } from './audit-explorer';
export { AuditOptionsError, type AuditOptionsErrorCode } from './resolve-audit-options';
export { Redactor } from './redactor';
export { auditMigrationSql, migrateAudit, type AuditMigrationResult, type AuditStorageMode } from './storage/audit-migration';
export {
  ensureAuditPartitions,
  dropExpiredAuditPartitions,
  maintainAuditPartitions,
  listAuditPartitions,
  type AuditPartition,
  type AuditPartitionUpkeep,
  type EnsureAuditPartitionsOptions,
  type DropExpiredAuditPartitionsOptions,
} from './storage/audit-partitions';
export type {
  AuditMigrationSqlOptions,
  MigrateAuditOptions,
  AuditTableOptions,
  AuditPartitionInterval,
  AuditPartitionOptions,
} from './storage/audit-storage.options';
export { AuditStorageError, type AuditStorageErrorCode } from './storage/audit-storage.errors';
export type { SqlQueryable } from './storage/sql-client';
export { AuditQuery, AUDIT_QUERY_LIMITS, type AuditQueryFilters, type AuditQueryPage, type AuditQueryOptions } from './query/audit-query';
export { AuditQueryError, InvalidAuditQueryException, type AuditQueryErrorCode } from './query/audit-query.errors';
export { AuditExport, type AuditExportFilters, type AuditExportOptions } from './export/audit-export';
export { AUDIT_EXPORT_FIELDS, type AuditExportFormat } from './export/audit-export-format';
export { AuditStreamService } from './integrity/audit-stream.service';
export { AuditSinkError, type AuditSink, type AuditSinkBatch } from './sinks/audit-sink';
export {
  WebhookAuditSink,
  AUDIT_IDEMPOTENCY_HEADER,
  AUDIT_SIGNATURE_HEADER,
  signAuditWebhook,
  verifyAuditWebhookSignature,
  type WebhookAuditSinkOptions,
} from './sinks/webhook-audit-sink';
export { FileAuditSink, directoryObjectStore, type AuditObjectStore, type FileAuditSinkOptions } from './sinks/file-audit-sink';
export type { AuditSinkDeliveryOptions } from './sinks/resolve-sink-options';
