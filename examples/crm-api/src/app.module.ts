import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { CaslModule, PoliciesGuard } from '@acme/nest-casl';
import { AuditModule } from '@acme/nest-audit';
import { auditIntegrity } from './audit/audit-integrity';
import { InvalidationBusModule, TenantThrottlerGuard } from '@acme/nest-cache';
import { ContextModule } from '@acme/nest-context';
import { ConfigService } from '@nestjs/config';
import { TenancyGuard, TenancyModule } from '@acme/nest-tenancy';
import { ViewPresenterModule } from '@acme/nest-view-presenter';
import { AuditLogModule } from './audit/audit-log.module';
import { AuthModule } from './auth/auth.module';
import { crmCacheModules } from './cache/crm-cache.module';
import { IdentityDirectory } from './auth/identity.directory';
import { IdentityModule } from './auth/identity.module';
import { JwtAuthGuard } from './auth/jwt-auth.guard';
import { abilities } from './authorization/abilities';
import { CompaniesModule } from './companies/companies.module';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { AppValidationPipe } from './common/validation.pipe';
import { appConfigModule } from './config/app-config.module';
import type { Env } from './config/env.schema';
import { ContactsModule } from './contacts/contacts.module';
import { DatabaseModule } from './database/database.module';
import { APP_DB, SYSTEM_DB, type Database } from './database/database.tokens';
import { DealsModule } from './deals/deals.module';
import { queuesRootModule } from './jobs/queues.module';
import { MembersModule } from './members/members.module';
import { ObservabilityModule } from './observability/observability.module';
import { RedisModule } from './redis/redis.module';
import { apiRateLimitsModule } from './throttling/api-rate-limits';

export interface AppModuleOptions {
  /** Environment variables merged over process.env (tests). */
  env?: Record<string, string>;
}

/**
 * The HTTP app. A request passes: ContextModule's middleware (request id) -> JwtAuthGuard (claims)
 * -> TenancyGuard (workspace + membership and role, cached per process and invalidated on every
 * replica when they change) -> TenantThrottlerGuard (rate limits)
 * -> PoliciesGuard (CASL) -> validation ->
 * TenantTransactionInterceptor (RLS transaction) -> @ViewResponse -> controller -> service (TenantDb,
 * @Audit on every mutation; CASL denials are audited as 'Failure' too).
 */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        appConfigModule(options.env),
        ContextModule.forRoot(),
        DatabaseModule,
        RedisModule,
        ObservabilityModule,
        // Tells every replica (API processes) to forget a cached membership or ability when one
        // replica changes it: Redis pub/sub on `<QUEUE_PREFIX>:invalidation`.
        InvalidationBusModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<Env, true>) => ({
            connection: { url: config.get('REDIS_URL') },
            channel: `${config.get('QUEUE_PREFIX').replace(/[{}]/g, '')}:invalidation`,
          }),
        }),
        ViewPresenterModule.forRoot({ mode: 'strict', sampleRate: 1 }),
        TenancyModule.forRootAsync({
          imports: [IdentityModule],
          inject: [APP_DB, SYSTEM_DB, IdentityDirectory, ConfigService],
          useFactory: (db: Database, systemDb: Database, identity: IdentityDirectory, config: ConfigService<Env, true>) => ({
            db,
            systemDb,
            rls: true,
            // Membership is checked on every request, and the role comes from it, not from the
            // token. It is cached per process (MEMBERSHIP_CACHE_TTL_SECONDS, 0 = off); MembersService
            // invalidates it on every replica when it removes a member or changes a role, so that
            // takes effect on the member's next request, whichever replica serves it.
            isMember: async ({ userId, workspaceId }: { userId: string | null; workspaceId: string }) => {
              const membership = userId ? await identity.membership(userId, workspaceId) : undefined;
              return membership ? { claims: { roles: [membership.role] } } : false;
            },
            membershipCache:
              config.get('MEMBERSHIP_CACHE_TTL_SECONDS') > 0
                ? { ttlMs: config.get('MEMBERSHIP_CACHE_TTL_SECONDS') * 1000, fallbackTtlMs: config.get('INVALIDATION_FALLBACK_MS') }
                : undefined,
          }),
        }),
        CaslModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<Env, true>) => ({ abilities, cache: { fallbackTtlMs: config.get('INVALIDATION_FALLBACK_MS') } }),
        }),
        AuditModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<Env, true>) => ({
            // The audit writer and search use the system role: entries of every workspace, no RLS.
            database: { connectionString: config.get('SYSTEM_DATABASE_URL'), max: 2 },
            // Entries travel in batches through BullMQ to the writer.
            queue: {
              connection: { url: config.get('REDIS_URL') },
              prefix: config.get('QUEUE_PREFIX'),
              consumer: config.get('AUDIT_WRITER_IN_API'),
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
        // Producers only: workers run in src/worker.ts.
        queuesRootModule(),
        // Company and deal reads cached in Redis (@Cached), invalidated by the audited writes
        // AuditModule announces (AUDITED_WRITES); keyed by the caller's CASL fingerprint (CaslModule).
        ...crmCacheModules(),
        // Requests per workspace and per user a minute, shared by every replica through Redis.
        apiRateLimitsModule(),
        AuthModule,
        MembersModule,
        CompaniesModule,
        ContactsModule,
        DealsModule,
        AuditLogModule,
      ],
      providers: [
        // Global guards run in this order: who (JWT) -> where (workspace) -> how often (rate
        // limits, counted per the workspace and user TenancyGuard put in the context) -> what (CASL).
        { provide: APP_GUARD, useExisting: JwtAuthGuard },
        { provide: APP_GUARD, useClass: TenancyGuard },
        { provide: APP_GUARD, useClass: TenantThrottlerGuard },
        { provide: APP_GUARD, useClass: PoliciesGuard },
        { provide: APP_PIPE, useClass: AppValidationPipe },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
      ],
    };
  }
}
