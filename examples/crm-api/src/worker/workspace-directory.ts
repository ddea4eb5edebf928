import { Injectable } from '@nestjs/common';
import { Tenancy } from '@acme/nest-tenancy';
import { asc } from 'drizzle-orm';
import { workspaces } from '../database/schema';

/** Every workspace id, for cron fan-outs: the one deliberate cross-workspace read of the worker. */
@Injectable()
export class WorkspaceDirectory {
  constructor(private readonly tenancy: Tenancy) {}

  async allIds(): Promise<string[]> {
    const rows = await this.tenancy.withoutTenant('maintenance cron: list workspaces to fan out', (db) =>
      db.select({ id: workspaces.id }).from(workspaces).orderBy(asc(workspaces.createdAt)),
    );
    return rows.map((row: { id: string }) => row.id);
  }
}
