/**
 * The baseline of `pnpm bench http`: a bare NestJS 12 (Express) app that serves the bench's mix
 * of deal and company routes by running, through one plain `pg` pool, the statements the CRM
 * API's services run for the same request (same filters, joins, writes and keyset cursors), with
 * the workspace filter written by hand into every statement. A mutation runs in one transaction
 * with its audit row written inline as a plain INSERT (into `baseline_audit_log`, made by the
 * bench with the columns and indexes of `audit_log`). The caller is named by headers
 * (x-workspace-id, x-user-id, x-role) and checked by hand where the CRM's abilities have
 * conditions (a Pipeline user updates only deals they own; only Admin and Operator delete).
 * No auth, no membership check, no CASL, no RLS, no presenter or contract validation, no
 * logging, no metrics: rows are returned as they come, with the counts the views carry.
 *
 * Started by http.bench.ts as its own process: DATABASE_URL (a role that sees every row),
 * DATABASE_POOL_SIZE (the CRM API's), PORT.
 */
import 'reflect-metadata';
import { Body, Controller, Delete, Get, Headers, HttpCode, HttpException, Inject, Module, Param, Patch, Post, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import pg from 'pg';

const POOL = Symbol('POOL');
const OPEN_STAGES = ['New', 'Qualified', 'Proposal Sent', 'Negotiation'];
const TRANSITIONS: Record<string, string[]> = {
  New: ['Qualified', 'Lost'],
  Qualified: ['Proposal Sent', 'Lost'],
  'Proposal Sent': ['Negotiation', 'Qualified', 'Lost'],
  Negotiation: ['Won', 'Lost', 'Proposal Sent'],
  Won: ['Qualified'],
  Lost: ['Qualified'],
};

interface Caller {
  workspaceId: string;
  userId: string;
  role: string;
}

type Queryable = Pick<pg.Pool, 'query'>;
type Row = Record<string, unknown>;

const caller = (headers: Record<string, string | undefined>): Caller => ({
  workspaceId: headers['x-workspace-id']!,
  userId: headers['x-user-id']!,
  role: headers['x-role']!,
});

const DEAL_SELECT = `SELECT d.*, json_build_object('id', c.id, 'name', c.name, 'domain', c.domain) AS company,
       json_build_object('id', u.id, 'name', u.name, 'email', u.email, 'avatar_url', u.avatar_url) AS owner,
       CASE WHEN p.id IS NULL THEN NULL ELSE json_build_object('id', p.id, 'first_name', p.first_name, 'last_name', p.last_name, 'email', p.email) END AS contact
  FROM deals d
  JOIN companies c ON c.workspace_id = d.workspace_id AND c.id = d.company_id
  JOIN users u ON u.id = d.owner_id
  LEFT JOIN contacts p ON p.workspace_id = d.workspace_id AND p.id = d.primary_contact_id`;

function cursorOf(row: Row): string {
  return Buffer.from(`${(row.created_at as Date).toISOString()}|${row.id as string}`).toString('base64url');
}

/** Appends the keyset condition of a cursor (rows after it in created_at DESC, id DESC order). */
function afterCursor(cursor: string | undefined, alias: string, where: string[], params: unknown[]): void {
  if (!cursor) return;
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  params.push(new Date(at!), id);
  const [t, i] = [`$${params.length - 1}`, `$${params.length}`];
  where.push(`(${alias}.created_at < ${t} OR (${alias}.created_at = ${t} AND ${alias}.id < ${i}))`);
}

function page(rows: Row[], limit: number, total: number) {
  const items = rows.slice(0, limit);
  return { items, total, next_cursor: rows.length > limit ? cursorOf(items.at(-1)!) : null };
}

async function one(db: Queryable, text: string, params: unknown[]): Promise<Row> {
  const { rows } = await db.query(text, params);
  if (!rows[0]) throw new HttpException({ code: 'NOT_FOUND' }, 404);
  return rows[0] as Row;
}

/** Contact counts, open deals and the last activity of a page of companies: the CRM's three grouped queries. */
async function withStats(db: Queryable, workspaceId: string, companies: Row[]): Promise<Row[]> {
  if (companies.length === 0) return companies;
  const ids = companies.map((row) => row.id);
  const contacts = await db.query('SELECT company_id, count(*)::int AS n FROM contacts WHERE workspace_id = $1 AND company_id = ANY($2) GROUP BY company_id', [
    workspaceId,
    ids,
  ]);
  const open = await db.query(
    `SELECT company_id, count(*)::int AS n, sum(amount)::int AS amount FROM deals
      WHERE workspace_id = $1 AND company_id = ANY($2) AND stage = ANY($3) GROUP BY company_id`,
    [workspaceId, ids, OPEN_STAGES],
  );
  const latest = await db.query(
    `SELECT DISTINCT ON (company_id) company_id, kind, label, occurred_at FROM activities
      WHERE workspace_id = $1 AND company_id = ANY($2) ORDER BY company_id, occurred_at DESC`,
    [workspaceId, ids],
  );
  const by = (rows: Row[]) => new Map(rows.map((row) => [row.company_id, row]));
  const [contactsBy, openBy, latestBy] = [by(contacts.rows), by(open.rows), by(latest.rows)];
  return companies.map((row) => ({
    ...row,
    contacts_count: (contactsBy.get(row.id)?.n as number) ?? 0,
    open_deals_count: (openBy.get(row.id)?.n as number) ?? 0,
    open_pipeline: (openBy.get(row.id)?.amount as number) ?? 0,
    last_activity: latestBy.get(row.id) ?? null,
  }));
}

@Controller()
class BaselineController {
  constructor(@Inject(POOL) private readonly pool: pg.Pool) {}

  @Get('health')
  health() {
    return { status: 'ok' };
  }

  @Get('deals')
  async listDeals(@Headers() headers: Record<string, string>, @Query() query: Record<string, string | undefined>) {
    const { workspaceId } = caller(headers);
    const limit = Number(query.limit ?? 25);
    const params: unknown[] = [workspaceId];
    const where = ['d.workspace_id = $1'];
    for (const [field, column] of [
      ['stage', 'stage'],
      ['company_id', 'company_id'],
      ['owner_id', 'owner_id'],
    ] as const) {
      if (query[field] === undefined) continue;
      params.push(query[field]);
      where.push(`d.${column} = $${params.length}`);
    }
    const countParams = [...params];
    const countWhere = [...where];
    afterCursor(query.cursor, 'd', where, params);
    params.push(limit + 1);
    const rows = await this.pool.query(`${DEAL_SELECT} WHERE ${where.join(' AND ')} ORDER BY d.created_at DESC, d.id DESC LIMIT $${params.length}`, params);
    const total = await this.pool.query(`SELECT count(*)::int AS n FROM deals d WHERE ${countWhere.join(' AND ')}`, countParams);
    return page(rows.rows, limit, total.rows[0].n);
  }

  @Get('deals/:id')
  async getDeal(@Headers() headers: Record<string, string>, @Param('id') id: string) {
    const { workspaceId } = caller(headers);
    await one(this.pool, 'SELECT * FROM deals WHERE workspace_id = $1 AND id = $2', [workspaceId, id]);
    return one(this.pool, `${DEAL_SELECT} WHERE d.workspace_id = $1 AND d.id = $2`, [workspaceId, id]);
  }

  @Post('deals')
  async createDeal(@Headers() headers: Record<string, string>, @Body() body: Row) {
    const who = caller(headers);
    return this.audited(who, 'Create', async (db) => {
      await one(db, 'SELECT * FROM companies WHERE workspace_id = $1 AND id = $2', [who.workspaceId, body.company_id]);
      const ownerId = (body.owner_id as string | undefined) ?? who.userId;
      await one(db, 'SELECT u.* FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 AND m.user_id = $2 LIMIT 1', [
        who.workspaceId,
        ownerId,
      ]);
      const deal = await one(
        db,
        `INSERT INTO deals (workspace_id, company_id, title, amount, primary_contact_id, expected_close_on, owner_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [who.workspaceId, body.company_id, body.title, body.amount, body.primary_contact_id ?? null, body.expected_close_on ?? null, ownerId],
      );
      const view = await one(db, `${DEAL_SELECT} WHERE d.workspace_id = $1 AND d.id = $2`, [who.workspaceId, deal.id]);
      return { subjectId: deal.id as string, changes: { after: deal }, view };
    });
  }

  @Patch('deals/:id')
  async updateDeal(@Headers() headers: Record<string, string>, @Param('id') id: string, @Body() body: Row) {
    const who = caller(headers);
    return this.audited(who, 'Update', async (db) => {
      const before = await this.loadForUpdate(db, who, id);
      const after = await one(db, 'UPDATE deals SET title = $3, amount = $4, updated_at = now() WHERE workspace_id = $1 AND id = $2 RETURNING *', [
        who.workspaceId,
        id,
        body.title,
        body.amount,
      ]);
      const view = await one(db, `${DEAL_SELECT} WHERE d.workspace_id = $1 AND d.id = $2`, [who.workspaceId, id]);
      const changes = Object.fromEntries(
        ['title', 'amount'].filter((field) => before[field] !== after[field]).map((field) => [field, { before: before[field], after: after[field] }]),
      );
      return { subjectId: id, changes, view };
    });
  }

  @Post('deals/:id/stage')
  @HttpCode(200)
  async moveStage(@Headers() headers: Record<string, string>, @Param('id') id: string, @Body() body: { stage: string; note?: string | null }) {
    const who = caller(headers);
    return this.audited(who, 'Stage Change', async (db) => {
      const before = await this.loadForUpdate(db, who, id);
      if (!TRANSITIONS[before.stage as string]!.includes(body.stage)) throw new HttpException({ code: 'DEAL_INVALID_TRANSITION' }, 409);
      const now = new Date();
      await one(db, 'UPDATE deals SET stage = $3, stage_changed_at = $4, closed_at = $5, updated_at = $4 WHERE workspace_id = $1 AND id = $2 RETURNING *', [
        who.workspaceId,
        id,
        body.stage,
        now,
        OPEN_STAGES.includes(body.stage) ? null : now,
      ]);
      await db.query(
        `INSERT INTO activities (workspace_id, company_id, contact_id, deal_id, kind, label, actor_id, occurred_at)
         VALUES ($1, $2, $3, $4, 'Stage Changed', $5, $6, $7)`,
        [who.workspaceId, before.company_id, before.primary_contact_id, id, `${before.title as string} moved to ${body.stage}`, who.userId, now],
      );
      const view = await one(db, `${DEAL_SELECT} WHERE d.workspace_id = $1 AND d.id = $2`, [who.workspaceId, id]);
      return { subjectId: id, changes: { stage: { before: before.stage, after: body.stage } }, view };
    });
  }

  @Delete('deals/:id')
  @HttpCode(204)
  async deleteDeal(@Headers() headers: Record<string, string>, @Param('id') id: string) {
    const who = caller(headers);
    await this.audited(who, 'Delete', async (db) => {
      const deal = await one(db, 'SELECT * FROM deals WHERE workspace_id = $1 AND id = $2', [who.workspaceId, id]);
      if (who.role !== 'Admin' && who.role !== 'Operator') throw new HttpException({ code: 'FORBIDDEN' }, 403);
      await one(db, 'DELETE FROM deals WHERE workspace_id = $1 AND id = $2 RETURNING id', [who.workspaceId, id]);
      return { subjectId: id, changes: { before: deal }, view: undefined };
    });
  }

  @Get('companies')
  async listCompanies(@Headers() headers: Record<string, string>, @Query() query: Record<string, string | undefined>) {
    const { workspaceId } = caller(headers);
    const limit = Number(query.limit ?? 25);
    const params: unknown[] = [workspaceId];
    const where = ['c.workspace_id = $1'];
    for (const field of ['status', 'industry'] as const) {
      if (query[field] === undefined) continue;
      params.push(query[field]);
      where.push(`c.${field} = $${params.length}`);
    }
    const countParams = [...params];
    const countWhere = [...where];
    afterCursor(query.cursor, 'c', where, params);
    params.push(limit + 1);
    const rows = await this.pool.query(
      `SELECT c.*, json_build_object('id', u.id, 'name', u.name, 'email', u.email, 'avatar_url', u.avatar_url) AS owner
         FROM companies c JOIN users u ON u.id = c.owner_id
        WHERE ${where.join(' AND ')} ORDER BY c.created_at DESC, c.id DESC LIMIT $${params.length}`,
      params,
    );
    const total = await this.pool.query(`SELECT count(*)::int AS n FROM companies c WHERE ${countWhere.join(' AND ')}`, countParams);
    const result = page(rows.rows, limit, total.rows[0].n);
    return { ...result, items: await withStats(this.pool, workspaceId, result.items) };
  }

  @Get('companies/:id')
  async getCompany(@Headers() headers: Record<string, string>, @Param('id') id: string) {
    const { workspaceId } = caller(headers);
    const company = await one(this.pool, 'SELECT * FROM companies WHERE workspace_id = $1 AND id = $2', [workspaceId, id]);
    const owner = await one(this.pool, 'SELECT id, name, email, avatar_url FROM users WHERE id = $1', [company.owner_id]);
    const [view] = await withStats(this.pool, workspaceId, [{ ...company, owner }]);
    return view;
  }

  /** The deal, if the caller may update it: what the CRM's `Update` rules say, by hand. */
  private async loadForUpdate(db: Queryable, who: Caller, id: string): Promise<Row> {
    const deal = await one(db, 'SELECT * FROM deals WHERE workspace_id = $1 AND id = $2', [who.workspaceId, id]);
    if (who.role === 'Viewer' || (who.role === 'Pipeline' && deal.owner_id !== who.userId)) throw new HttpException({ code: 'FORBIDDEN' }, 403);
    return deal;
  }

  /** Runs a mutation and writes its audit row in one transaction. */
  private async audited(who: Caller, action: string, mutate: (db: Queryable) => Promise<{ subjectId: string; changes: unknown; view: Row | undefined }>) {
    const started = Date.now();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { subjectId, changes, view } = await mutate(client);
      await client.query(
        `INSERT INTO baseline_audit_log (id, occurred_at, workspace_id, actor_kind, actor_id, action, subject, subject_id, status, request_id, ip, user_agent, duration_ms, metadata, changes)
         VALUES ($1, now(), $2, 'User', $3, $4, 'Deal', $5, 'Success', $6, '127.0.0.1', 'autocannon', $7, '{}', $8)`,
        [randomUUID(), who.workspaceId, who.userId, action, subjectId, randomUUID(), Date.now() - started, JSON.stringify(changes)],
      );
      await client.query('COMMIT');
      return view;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }
}

@Module({
  controllers: [BaselineController],
  providers: [
    {
      provide: POOL,
      useFactory: () =>
        new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10), application_name: 'bench-baseline' }),
    },
  ],
})
class BaselineModule {}

const app = await NestFactory.create(BaselineModule, new ExpressAdapter(), { logger: false });
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT), '127.0.0.1');
