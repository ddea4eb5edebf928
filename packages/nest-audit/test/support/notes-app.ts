import { ContextService, ContextModule } from '@acme/nest-context';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Audit, AuditModule, AuditService, type AuditModuleOptions } from '@acme/nest-audit';

const WS = '0190a0b2-0000-7000-8000-0000000000bb';

/** An audited service for the delivery tests: one 'Create' 'Note' entry per call, subject id `note-<n>`. */
@Injectable()
export class NotesService {
  @Audit({ action: 'Create', subject: 'Note' })
  async create(n: number) {
    return { id: `note-${n}` };
  }
}

/** An app with the audit module (and, unless `withNotes` is false, the notes service). */
export async function bootAuditApp(options: AuditModuleOptions, withNotes = true): Promise<INestApplicationContext> {
  @Module({ imports: [ContextModule.forRoot(), AuditModule.forRoot(options)], providers: withNotes ? [NotesService] : [] })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
}

const context = new ContextService();

/** `count` audited calls at once, notes `from` to `from + count - 1`; with `flush`, waits until their batches left. */
export async function createNotes(app: INestApplicationContext, from: number, count: number, { flush = false } = {}): Promise<void> {
  await context.run({ workspaceId: WS, actor: { kind: 'User', id: 'u1' } }, () =>
    Promise.all(Array.from({ length: count }, (_, i) => app.get(NotesService).create(from + i))),
  );
  if (flush) await app.get(AuditService).flush();
}
