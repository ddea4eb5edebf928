// The README's TypeScript blocks, in context: `pnpm --filter @acme/nest-tenancy typecheck` compiles
// this file, and test/readme.spec.ts checks that every block of the README appears here as written.
// Never run; what the README leaves to the reader is declared at the end.
import { ContextService } from '@acme/nest-context';
import { Tenancy, TenantDb, tenantPolicySql, workspaceColumn } from '@acme/nest-tenancy';
import { Injectable, type CanActivate } from '@nestjs/common';
import { relations, sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { pgTable, text, uuid } from 'drizzle-orm/pg-core';
import type pg from 'pg';

// schema.ts: workspaceColumn() is `workspace_id uuid not null`, filled from the request's workspace
export const companies = pgTable('companies', {
  id: uuid('id').primaryKey().defaultRandom(),
  workspaceId: workspaceColumn(),
  name: text('name').notNull(),
});
export type NewCompany = typeof companies.$inferInsert; // { name; id?; workspaceId? }
// contacts likewise; export const schema = { companies, contacts, ...their relations() }

// companies.service.ts
@Injectable()
export class CompaniesService {
  constructor(private readonly db: TenantDb<typeof schema>) {}

  list() {
    // SQL: ... where "companies"."workspace_id" = $1 (and the same for contacts, at every level)
    return this.db.query.companies.findMany({ with: { contacts: true } });
  }

  get(id: string) {
    return this.db.findOneOrThrow(companies, id); // 404 when it is another workspace's
  }

  create(input: NewCompany) {
    return this.db.insert(companies).values(input).returning(); // workspace_id set for you
  }
}

export const contacts = pgTable('contacts', {
  id: uuid('id').primaryKey().defaultRandom(),
  workspaceId: workspaceColumn(),
  companyId: uuid('company_id').notNull(),
  name: text('name').notNull(),
});
export const companiesRelations = relations(companies, ({ many }) => ({ contacts: many(contacts) }));
export const contactsRelations = relations(contacts, ({ one }) => ({
  company: one(companies, { fields: [contacts.companyId], references: [companies.id] }),
}));
export const schema = { companies, contacts, companiesRelations, contactsRelations };

import { ContextModule } from '@acme/nest-context';
import { TenancyGuard, TenancyModule } from '@acme/nest-tenancy';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { drizzle } from 'drizzle-orm/node-postgres';

@Module({
  imports: [
    ContextModule.forRoot(),
    TenancyModule.forRoot({
      db: drizzle(pool, { schema }),
      // userId is null when the request has no user id claim: decide what that means for you.
      isMember: ({ userId, workspaceId }) => userId !== null && members.isMember(userId, workspaceId),
    }),
  ],
  providers: [
    { provide: APP_GUARD, useClass: JwtAuthGuard }, // yours: puts verified claims on request.user
    { provide: APP_GUARD, useClass: TenancyGuard }, // after it: workspace from request.user.workspace_id
  ],
})
export class AppModule {}

export const asyncModule =
TenancyModule.forRootAsync({
  inject: [DATABASE],
  useFactory: (db: NodePgDatabase<typeof schema>) => ({ db, rls: true }),
});

@Injectable()
export class DigestJob {
  constructor(
    private readonly tenancy: Tenancy,
    private readonly db: TenantDb<typeof schema>,
  ) {}

  run(workspaceId: string) {
    return this.tenancy.runInWorkspace(workspaceId, () => this.db.select().from(companies));
  }
}

export async function migrate(db: NodePgDatabase) {
  for (const statement of tenantPolicySql('companies')) await db.execute(sql.raw(statement));
}

export async function inAWorkspace(service: CompaniesService, workspaceId: string) {
  const context = new ContextService();
  await context.run({ workspaceId, actor: { kind: 'User', id: 'u1' } }, () => service.list());
}

// What the README leaves to the app.
declare const pool: pg.Pool;
declare const members: { isMember(userId: string, workspaceId: string): Promise<boolean> };
declare class JwtAuthGuard implements CanActivate {
  canActivate(): boolean;
}
declare const DATABASE: unique symbol;
