// The consumer app. The same source is compiled by tsc (emitDecoratorMetadata, no bundler) as a
// NestJS 11 CommonJS app and as a NestJS 12 ESM app, each against the packed @acme tarballs.
// It imports only the packages' public entries, the way a user's app does, and serves:
//   POST /notes      audited (@Audit), tenant-scoped (TenantDb), authorized (PoliciesGuard),
//                    enqueues a typed job (nest-queues) that runs in the request's context
//   GET  /notes/:id  404 from another workspace; cached per workspace (@Cached), made stale by the
//                    audited writes of notes (create, markIndexed)
// Every route is rate-limited per workspace (TenantThrottlerGuard, counted in Redis).
import 'reflect-metadata';
import { Audit, AuditModule } from '@acme/nest-audit';
import { Cached, keyByTracker, RedisThrottlerStorage, TenantCacheModule, TenantThrottlerGuard, workspaceTracker } from '@acme/nest-cache';
import { CaslModule, CheckAbility, defineAbilities, PoliciesGuard } from '@acme/nest-casl';
import { ContextModule, ContextService } from '@acme/nest-context';
import { defineQueue, InjectProducer, Producer, QueueProcessor, QueuesModule, type PayloadOf, type QueueHandler } from '@acme/nest-queues';
import { TenancyGuard, TenancyModule, TenantDb, workspaceColumn } from '@acme/nest-tenancy';
import { definePresenter, iso, ViewResponse } from '@acme/nest-view-presenter';
import { createKeyv } from '@keyv/redis';
import { CacheModule } from '@nestjs/cache-manager';
import { Body, Controller, Get, Injectable, Module, Param, Post } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { drizzle } from 'drizzle-orm/node-postgres';
import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { z } from 'zod';

const DATABASE_URL = required('DATABASE_URL');
const REDIS_URL = required('REDIS_URL');
const QUEUE_PREFIX = process.env.QUEUE_PREFIX ?? 'bull';
/** Requests a minute per workspace, over all routes. */
const RATE_LIMIT_PER_MINUTE = Number(process.env.RATE_LIMIT_PER_MINUTE ?? 600);

const notes = pgTable('notes', {
  id: uuid('id').primaryKey().defaultRandom(),
  workspaceId: workspaceColumn(),
  body: text('body').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  indexedAt: timestamp('indexed_at', { withTimezone: true }),
  indexedFor: text('indexed_for'),
});
type NoteRow = typeof notes.$inferSelect;

const NoteView = z.object({ id: z.uuid(), body: z.string(), created_at: z.iso.datetime() });
const NotePresenter = definePresenter(NoteView, (row: NoteRow) => ({ id: row.id, body: row.body, created_at: iso(row.createdAt) }));

const abilities = defineAbilities<'Note', 'Member' | 'Viewer'>({
  Member: ({ can }) => can('Manage', 'Note'),
  Viewer: ({ can }) => can('Read', 'Note'),
});

const noteIndexing = defineQueue({ name: 'note-indexing', payload: z.object({ noteId: z.uuid() }) });

@Injectable()
class NotesService {
  constructor(
    private readonly db: TenantDb,
    private readonly context: ContextService,
    @InjectProducer(noteIndexing) private readonly indexing: Producer<typeof noteIndexing>,
  ) {}

  @Audit({ action: 'Create', subject: 'Note' })
  async create(body: string): Promise<NoteRow> {
    const [row] = await this.db.insert(notes).values({ body }).returning();
    await this.indexing.add({ noteId: row!.id });
    return row!;
  }

  /** Cached per workspace; the audited writes of notes (create, markIndexed) make it stale. */
  @Cached({ subject: 'Note' })
  get(id: string): Promise<NoteRow> {
    return this.db.findOneOrThrow(notes, id);
  }

  /** Runs in the queue worker, inside the context of the request that enqueued the job. */
  @Audit({ action: 'Index', subject: 'Note' })
  async markIndexed(id: string): Promise<NoteRow> {
    const { requestId } = this.context.require();
    return this.db.updateOrThrow(notes, id, { indexedAt: new Date(), indexedFor: requestId });
  }
}

@QueueProcessor(noteIndexing)
class NoteIndexingProcessor implements QueueHandler<typeof noteIndexing> {
  constructor(private readonly notes: NotesService) {}

  async process(payload: PayloadOf<typeof noteIndexing>): Promise<void> {
    await this.notes.markIndexed(payload.noteId);
  }
}

@Controller('notes')
class NotesController {
  constructor(private readonly notes: NotesService) {}

  @Post()
  @CheckAbility('Create', 'Note')
  @ViewResponse(NoteView, { status: 201 })
  async create(@Body() body: { body?: unknown }) {
    return NotePresenter.toView(await this.notes.create(String(body.body ?? '')));
  }

  @Get(':id')
  @CheckAbility('Read', 'Note')
  @ViewResponse(NoteView)
  async get(@Param('id') id: string) {
    return NotePresenter.toView(await this.notes.get(id));
  }
}

const pool = new pg.Pool({ connectionString: DATABASE_URL });

@Module({
  imports: [
    ContextModule.forRoot(),
    TenancyModule.forRoot({ db: drizzle(pool) }),
    CaslModule.forRoot({ abilities }),
    AuditModule.forRoot({
      database: { connectionString: DATABASE_URL },
      queue: { connection: { url: REDIS_URL }, prefix: QUEUE_PREFIX },
      migrate: true,
    }),
    QueuesModule.forRoot({ connection: { url: REDIS_URL }, prefix: QUEUE_PREFIX, runWorkers: true }),
    QueuesModule.forFeature([noteIndexing]),
    // TenantCache on the app's cache-manager store (Redis, shared by every replica).
    CacheModule.register({ isGlobal: true, stores: [createKeyv(REDIS_URL)] }),
    TenantCacheModule.forRoot({ prefix: `${QUEUE_PREFIX}:cache` }),
    ThrottlerModule.forRoot({
      storage: new RedisThrottlerStorage({ connection: { url: REDIS_URL }, prefix: QUEUE_PREFIX }),
      getTracker: workspaceTracker,
      generateKey: keyByTracker,
      throttlers: [{ name: 'workspace', limit: RATE_LIMIT_PER_MINUTE, ttl: 60_000 }],
    }),
  ],
  controllers: [NotesController],
  providers: [
    NotesService,
    NoteIndexingProcessor,
    { provide: APP_GUARD, useClass: TenancyGuard },
    // After TenancyGuard, which puts the workspace into the request context the tracker reads.
    { provide: APP_GUARD, useClass: TenantThrottlerGuard },
    { provide: APP_GUARD, useClass: PoliciesGuard },
  ],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  // Stands in for an auth guard: the verified claims a JWT would carry.
  app.use((request: { headers: Record<string, string | undefined>; user?: unknown }, _response: unknown, next: () => void) => {
    const sub = request.headers['x-user-id'];
    if (sub) request.user = { sub, workspace_id: request.headers['x-workspace-id'], roles: [request.headers['x-role'] ?? 'Member'] };
    next();
  });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  // The test reads this line: where to call, and which module system actually ran this file.
  console.log(`READY http://127.0.0.1:${address.port} ${typeof require === 'function' ? 'commonjs' : 'module'}`);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
