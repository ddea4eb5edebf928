import { Audit, AuditService } from '@acme/nest-audit';
import { Cached } from '@acme/nest-cache';
import { Injectable } from '@nestjs/common';
import { AbilityFactory, accessibleBy, assertCan, type CaslAction } from '@acme/nest-casl';
import { ContextService } from '@acme/nest-context';
import { TenantDb } from '@acme/nest-tenancy';
import type { CreateCompanyInput, ListCompaniesQuery, UpdateCompanyInput } from '@acme-examples/crm-contracts';
import { and, desc, eq, ilike } from 'drizzle-orm';
import { COMPANY_READ_SUBJECTS } from '../cache/read-subjects';
import { afterCursor, decodeCursor, pageOf } from '../common/cursor';
import { inputColumns, type ColumnMap } from '../common/input-columns';
import { likePattern } from '../common/like-pattern';
import { companies, users, type CompanyRow, type Schema } from '../database/schema';
import { WorkspaceUsers } from '../members/workspace-users';
import type { CompanyAggregate } from './company.presenter';
import { CompanyStatsLoader } from './company-stats';

const owner = { id: users.id, name: users.name, email: users.email, avatarUrl: users.avatarUrl };

/** The column each field of CreateCompanyInput and UpdateCompanyInput sets. */
const COMPANY_COLUMNS = {
  name: 'name',
  domain: 'domain',
  industry: 'industry',
  size_range: 'sizeRange',
  status: 'status',
  employee_count: 'employeeCount',
  owner_id: 'ownerId',
} as const satisfies ColumnMap<CreateCompanyInput, typeof companies.$inferInsert>;

/** Companies of the current workspace, as far as the caller's ability reaches. TenantDb only. */
@Injectable()
export class CompaniesService {
  constructor(
    private readonly db: TenantDb<Schema>,
    private readonly abilities: AbilityFactory,
    private readonly context: ContextService,
    private readonly workspaceUsers: WorkspaceUsers,
    private readonly audit: AuditService,
    private readonly stats: CompanyStatsLoader,
  ) {}

  // Cached per workspace, query and the caller's permissions; any audited write of a subject in
  // COMPANY_READ_SUBJECTS makes it stale (src/cache/read-subjects.ts).
  @Cached({ subject: COMPANY_READ_SUBJECTS })
  async list(query: ListCompaniesQuery) {
    const cursor = decodeCursor(query.cursor);
    const where = and(
      accessibleBy(this.abilities.requireCurrent(), 'Read', companies),
      query.q ? ilike(companies.name, likePattern(query.q)) : undefined,
      query.status ? eq(companies.status, query.status) : undefined,
      query.industry ? eq(companies.industry, query.industry) : undefined,
    );
    // Sequential: with RLS the request's queries share one transaction (one connection).
    const rows = await this.db
      .select({ company: companies, owner })
      .from(companies)
      .innerJoin(users, eq(users.id, companies.ownerId))
      .where(and(where, afterCursor(cursor, companies.createdAt, companies.id)))
      .orderBy(desc(companies.createdAt), desc(companies.id))
      .limit(query.limit + 1);
    const total = await this.db.$count(companies, where);
    const page = pageOf(
      rows.map((r) => ({ ...r.company, owner: r.owner })),
      query.limit,
    );
    return { rows: await this.withStats(page.rows), total, nextCursor: page.nextCursor };
  }

  @Cached({ subject: COMPANY_READ_SUBJECTS })
  async get(id: string): Promise<CompanyAggregate> {
    return this.aggregate(await this.load(id, 'Read'));
  }

  @Audit({ action: 'Create', subject: 'Company' })
  async create(input: CreateCompanyInput): Promise<CompanyAggregate> {
    const ownerId = input.owner_id ?? this.context.require().actor.id!;
    await this.workspaceUsers.requireMember(ownerId);
    const [company] = await this.db
      .insert(companies)
      .values({ ...inputColumns(input, COMPANY_COLUMNS), ownerId })
      .returning();
    this.audit.describe({ after: company });
    return this.aggregate(company!);
  }

  @Audit({ action: 'Update', subject: 'Company' })
  async update(id: string, input: UpdateCompanyInput): Promise<CompanyAggregate> {
    const before = await this.load(id, 'Update');
    if (input.owner_id) await this.workspaceUsers.requireMember(input.owner_id);
    const after = await this.db.updateOrThrow(companies, id, { ...inputColumns(input, COMPANY_COLUMNS), updatedAt: new Date() });
    this.audit.describe({ subjectId: after.id, before, after });
    return this.aggregate(after);
  }

  @Audit({ action: 'Delete', subject: 'Company' })
  async remove(id: string): Promise<void> {
    const company = await this.load(id, 'Delete');
    await this.db.deleteOrThrow(companies, id);
    this.audit.describe({ before: company });
  }

  /**
   * The company with this id if the caller may `action` it: 404 when it belongs to another
   * workspace, does not exist or may not be read; 403 when it may be read but not `action`ed.
   */
  private async load(id: string, action: CaslAction): Promise<CompanyRow> {
    const company = await this.db.findOneOrThrow(companies, id);
    assertCan(this.abilities.requireCurrent(), action, 'Company', company);
    return company;
  }

  private async aggregate(company: CompanyRow): Promise<CompanyAggregate> {
    const [row] = await this.db.select(owner).from(users).where(eq(users.id, company.ownerId));
    const [aggregate] = await this.withStats([{ ...company, owner: row! }]);
    return aggregate!;
  }

  private async withStats(rows: (CompanyRow & { owner: CompanyAggregate['owner'] })[]): Promise<CompanyAggregate[]> {
    const stats = await this.stats.load(rows.map((r) => r.id));
    return rows.map((row) => ({ ...row, ...stats.get(row.id)! }));
  }
}
