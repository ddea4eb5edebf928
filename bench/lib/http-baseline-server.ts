/**
 * The baseline of `pnpm bench http`: a bare NestJS 12 (Express) app with one handler that runs
 * the queries the CRM API's GET /companies runs (the page joined with its owners, the total, then
 * contact counts, open deals and last activity of the page) through a plain `pg` pool, filtering
 * by workspace by hand, and returns the rows as they come. No auth, no CASL, no RLS transaction,
 * no presenter or contract validation, no logging, no metrics.
 *
 * Started by http.bench.ts as its own process: DATABASE_URL (a role that sees every row),
 * WORKSPACE_ID, PORT.
 */
import 'reflect-metadata';
import { Controller, Get, Inject, Module, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import pg from 'pg';

const POOL = Symbol('POOL');
const WORKSPACE_ID = process.env.WORKSPACE_ID!;
const OPEN_STAGES = ['New', 'Qualified', 'Proposal Sent', 'Negotiation'];

@Controller()
class CompaniesController {
  constructor(@Inject(POOL) private readonly pool: pg.Pool) {}

  @Get('health')
  health() {
    return { status: 'ok' };
  }

  @Get('companies')
  async list(@Query('limit') limitParam?: string) {
    const limit = Number(limitParam ?? 50);
    const page = await this.pool.query(
      `SELECT c.*, u.name AS owner_name, u.email AS owner_email, u.avatar_url AS owner_avatar_url
         FROM companies c JOIN users u ON u.id = c.owner_id
        WHERE c.workspace_id = $1
        ORDER BY c.created_at DESC, c.id DESC
        LIMIT $2`,
      [WORKSPACE_ID, limit + 1],
    );
    const total = await this.pool.query('SELECT count(*)::int AS n FROM companies WHERE workspace_id = $1', [WORKSPACE_ID]);
    const rows = page.rows.slice(0, limit);
    const ids = rows.map((row: { id: string }) => row.id);
    const contactCounts = await this.pool.query(
      'SELECT company_id, count(*)::int AS n FROM contacts WHERE workspace_id = $1 AND company_id = ANY($2) GROUP BY company_id',
      [WORKSPACE_ID, ids],
    );
    const openDeals = await this.pool.query(
      `SELECT company_id, count(*)::int AS n, sum(amount) AS amount FROM deals
        WHERE workspace_id = $1 AND company_id = ANY($2) AND stage = ANY($3) GROUP BY company_id`,
      [WORKSPACE_ID, ids, OPEN_STAGES],
    );
    const latest = await this.pool.query(
      `SELECT DISTINCT ON (company_id) company_id, kind, label, occurred_at FROM activities
        WHERE workspace_id = $1 AND company_id = ANY($2) ORDER BY company_id, occurred_at DESC`,
      [WORKSPACE_ID, ids],
    );
    return {
      items: rows,
      total: total.rows[0].n,
      next_cursor: page.rows.length > limit ? ids.at(-1) : null,
      contact_counts: contactCounts.rows,
      open_deals: openDeals.rows,
      last_activities: latest.rows,
    };
  }
}

@Module({
  controllers: [CompaniesController],
  // The same pool size as the CRM API's default (DATABASE_POOL_SIZE).
  providers: [{ provide: POOL, useFactory: () => new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 }) }],
})
class BaselineModule {}

const app = await NestFactory.create(BaselineModule, new ExpressAdapter(), { logger: false });
await app.listen(Number(process.env.PORT), '127.0.0.1');
