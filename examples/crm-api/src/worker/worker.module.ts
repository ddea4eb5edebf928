import { AuditModule } from '@acme/nest-audit';
import { auditIntegrity } from '../audit/audit-integrity';
import { ContextModule } from '@acme/nest-context';
import { TenancyModule } from '@acme/nest-tenancy';
import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { crmCacheModules } from '../cache/crm-cache.module';
import { appConfigModule } from '../config/app-config.module';
import { WorkerEnvSchema, type WorkerEnv } from '../config/env.schema';
import { pinoHttpTo } from '../observability/log-destination';
import { logMixin } from '../observability/log-mixin';
import { DatabaseModule } from '../database/database.module';
import { APP_DB, SYSTEM_DB, type Database } from '../database/database.tokens';
import { ALL_QUEUES } from '../jobs/queues';
import { queuesRootModule } from '../jobs/queues.module';
import { QueuesModule } from '@acme/nest-queues';
import { auditPartitions } from './audit-partitions.queue';
import { AuditPartitionsProcessor } from './audit-partitions.processor';
import { EmailsProcessor } from './emails.processor';
import { MaintenanceProcessor } from './maintenance.processor';
import { StaleDealChecker } from './stale-deal-checker';
import { StaleDealsProcessor } from './stale-deals.processor';
import { WorkspaceDirectory } from './workspace-directory';

/** The worker process: BullMQ processors and crons, the audit batch writer. No HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(options: { env?: Record<string, string> } = {}): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        appConfigModule(options.env, WorkerEnvSchema),
        ContextModule.forRoot(),
        LoggerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<WorkerEnv, true>) => ({
            pinoHttp: pinoHttpTo(config.get('LOG_FILE'), { level: config.get('LOG_LEVEL'), mixin: logMixin }),
          }),
        }),
        DatabaseModule,
        TenancyModule.forRootAsync({
          inject: [APP_DB, SYSTEM_DB],
          useFactory: (db: Database, systemDb: Database) => ({ db, systemDb, rls: true }),
        }),
        AuditModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<WorkerEnv, true>) => ({
            database: { connectionString: config.get('SYSTEM_DATABASE_URL'), max: 2 },
            // The worker is the audit writer: it consumes the batches the API enqueues.
            queue: {
              connection: { url: config.get('REDIS_URL') },
              prefix: config.get('QUEUE_PREFIX'),
              consumer: true,
              // REDIS_ALLOW_VOLATILE: the same switch as the queues' (src/jobs/queues.module.ts).
              allowVolatileRedis: config.get('REDIS_ALLOW_VOLATILE'),
            },
            // Hash chain, signed checkpoints kept off the database, and the SIEM webhook (src/audit/audit-integrity.ts).
            integrity: auditIntegrity({
              AUDIT_CHAIN: config.get('AUDIT_CHAIN'),
              AUDIT_CHECKPOINT_KEY: config.get('AUDIT_CHECKPOINT_KEY'),
              AUDIT_CHECKPOINT_FILE: config.get('AUDIT_CHECKPOINT_FILE'),
              AUDIT_WEBHOOK_URL: config.get('AUDIT_WEBHOOK_URL'),
              AUDIT_WEBHOOK_SECRET: config.get('AUDIT_WEBHOOK_SECRET'),
            }),
          }),
        }),
        queuesRootModule(),
        QueuesModule.forFeature([...ALL_QUEUES, auditPartitions]),
        // The worker caches nothing, but its audited writes (the stale-deal check adds activities,
        // audited as 'Deal') make the API's cached company and deal reads stale.
        ...crmCacheModules(),
      ],
      providers: [WorkspaceDirectory, StaleDealChecker, MaintenanceProcessor, StaleDealsProcessor, EmailsProcessor, AuditPartitionsProcessor],
    };
  }
}
