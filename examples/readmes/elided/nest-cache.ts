// What the README of @acme/nest-cache leaves out with `...`: the app's own database, table,
// authentication and plan lookup.
import { workspaceColumn } from '@acme/nest-tenancy';
import { Injectable, Module, type CanActivate } from '@nestjs/common';
import { drizzle } from 'drizzle-orm/node-postgres';
import { pgTable, text, uuid } from 'drizzle-orm/pg-core';

export const db = drizzle.mock();

export const deals = pgTable('deals', {
  id: uuid('id').primaryKey().defaultRandom(),
  workspaceId: workspaceColumn(),
  title: text('title').notNull(),
  stageId: uuid('stage_id').notNull(),
});

export type DealPatch = Partial<Pick<typeof deals.$inferInsert, 'title' | 'stageId'>>;

@Injectable()
export class JwtAuthGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Injectable()
export class WorkspacePlans {
  async planOf(workspaceId: string): Promise<'Free' | 'Team' | 'Enterprise'> {
    return workspaceId.length > 0 ? 'Team' : 'Free';
  }
}

@Module({ providers: [WorkspacePlans], exports: [WorkspacePlans] })
export class PlansModule {}
