// The consumer app: the same source is compiled as a NestJS 11 CommonJS app and as a NestJS 12
// ESM app, each against the packed @acme tarballs installed from npm-style file: dependencies.
// It serves one audited, tenant-scoped request against real PostgreSQL and Redis.
import 'reflect-metadata';
import { Audit, AuditModule } from '@acme/nest-audit';
import { CaslModule, CheckAbility, defineAbilities, PoliciesGuard } from '@acme/nest-casl';
import { ContextModule } from '@acme/nest-context';
import { TenancyGuard, TenancyModule, TenantDb, workspaceColumn } from '@acme/nest-tenancy';
import { definePresenter, iso, ViewResponse } from '@acme/nest-view-presenter';
import { Body, Controller, Get, Injectable, Module, Param, Post } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { drizzle } from 'drizzle-orm/node-postgres';
import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { z } from 'zod';

const notes = pgTable('notes', {
  id: uuid('id').primaryKey().defaultRandom(),
  workspaceId: workspaceColumn(),
  body: text('body').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

const NoteView = z.object({ id: z.uuid(), body: z.string(), created_at: z.iso.datetime() });
const NotePresenter = definePresenter(NoteView, (row: typeof notes.$inferSelect) => ({ id: row.id, body: row.body, created_at: iso(row.createdAt) }));
const abilities = defineAbilities<'Note', 'Member'>({ Member: ({ can }) => can('Manage', 'Note') });

@Injectable()
class NotesService {
  constructor(private readonly db: TenantDb) {}

  @Audit({ action: 'Create', subject: 'Note' })
  async create(body: string) {
    const [row] = await this.db.insert(notes).values({ body }).returning();
    return row!;
  }

  get(id: string) {
    return this.db.findOneOrThrow(notes, id);
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

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });

@Module({
  imports: [
    ContextModule.forRoot(),
    TenancyModule.forRoot({ db: drizzle(pool) }),
    CaslModule.forRoot({ abilities }),
    AuditModule.forRoot({
      database: { connectionString: process.env.DATABASE_URL! },
      queue: { connection: process.env.REDIS_URL!, prefix: process.env.QUEUE_PREFIX },
      migrate: true,
    }),
  ],
  controllers: [NotesController],
  providers: [NotesService, { provide: APP_GUARD, useClass: TenancyGuard }, { provide: APP_GUARD, useClass: PoliciesGuard }],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  // Stands in for an auth guard: the verified claims a JWT would carry.
  app.use((request: { headers: Record<string, string | undefined>; user?: unknown }, _response: unknown, next: () => void) => {
    const sub = request.headers['x-user-id'];
    if (sub) request.user = { sub, workspace_id: request.headers['x-workspace-id'], roles: ['Member'] };
    next();
  });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  console.log(`READY ${await app.getUrl()}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
