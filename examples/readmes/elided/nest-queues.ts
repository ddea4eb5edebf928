// What the README of @acme/nest-queues leaves out with `...`: the app's own modules, processors,
// providers, tables and queues.
import { defineQueue, QueueProcessor, type PayloadOf, type QueueHandler } from '@acme/nest-queues';
import { workspaceColumn } from '@acme/nest-tenancy';
import { Injectable, Module } from '@nestjs/common';
import { pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { emails } from './queues.js';

@Injectable()
export class Mailer {
  async send(message: PayloadOf<typeof emails>): Promise<void> {
    void message;
  }
  async sendInvoice(invoice: { id: string }): Promise<void> {
    void invoice;
  }
}

@Module({ providers: [Mailer], exports: [Mailer] })
export class MailModule {}

@QueueProcessor(emails)
export class EmailsProcessor implements QueueHandler<typeof emails> {
  constructor(private readonly mailer: Mailer) {}
  async process(payload: PayloadOf<typeof emails>): Promise<void> {
    await this.mailer.send(payload);
  }
}

@Module({})
export class WorkerModule {}

export const invoicesTable = pgTable('invoices', {
  id: uuid('id').primaryKey().defaultRandom(),
  workspaceId: workspaceColumn(),
  number: text('number').notNull(),
});

export const nightly = defineQueue({ name: 'nightly', payload: z.object({}) });
export const digests = defineQueue({ name: 'digests', payload: z.object({ period: z.enum(['Daily', 'Weekly']) }) });

@Injectable()
export class WorkspacesRepository {
  async *streamActiveIds(): AsyncIterable<string> {
    yield '0b6f1f5e-0000-4000-8000-00000000000a';
  }
}
