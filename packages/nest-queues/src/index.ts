export { QueuesModule } from './queues.module';
export { QUEUES_MODULE_OPTIONS } from './queues.module-definition';
export type { MetricsRegistry, QueueMetricsOptions, QueuesModuleExtras, QueuesModuleOptions } from './queues.options';
export type { FairnessOptions, ResolvedFairness } from './fairness.options';
export { defineQueue, DEFAULT_JOB_OPTIONS, type DefineQueueOptions, type PayloadInputOf, type PayloadOf, type QueueDefinition } from './queue-definition';
export type { QueueJob, QueueJobData } from './queue-job';
export type { JobTraceContext, TraceCapture } from './job-tracing';
export type { SchemaInput, SchemaOutput, StandardSchemaV1 } from './standard-schema';
export { Producer, type AddJobOptions, type BulkJob, type FanOutOptions } from './producer';
export { getProducerToken, InjectProducer } from './queues.tokens';
export { QueueProcessor, type QueueHandler, type QueueProcessorOptions } from './queue-processor.decorator';
export { OnQueueEvent, type QueueEventName } from './on-queue-event.decorator';
export { Cron, type CronOptions } from './cron.decorator';
export { QueueWorkers, type WorkersStopResult } from './queue-workers';
export { bootstrapWorker, type BootstrapWorkerOptions, type WorkerProcess } from './bootstrap-worker';
export { DeadLetters, type ReplayOptions, type ReplayResult } from './dead-letters.service';
export type { DeadLetter, StoredDeadLetter } from './dead-letter';
export { QueueMetrics } from './queue-metrics';
export { QueuesHealthIndicator, type QueueHealthCounts, type QueuesHealthResult } from './queues-health.indicator';
export {
  QueuesError,
  QueuesOptionsError,
  QueueDefinitionError,
  QueuePayloadError,
  ForeignJobError,
  WorkerStartupError,
  FatalConnectionError,
  RedisUnreachableError,
  JobContextError,
  FairQueuePriorityError,
  type PayloadIssue,
} from './queues.errors';
export { ClusterPrefixError } from './cluster-prefix';
