/**
 * The data of `pnpm bench http`: 4 workspaces of 6 users each (Admin, Operator, two Pipeline
 * users, two Viewers), their companies, contacts, activities and deals, and the deals each side
 * of the bench mutates (its own, so the two sides never touch the same row).
 */
import pg from 'pg';

export const ROLES = ['Admin', 'Operator', 'Pipeline', 'Pipeline', 'Viewer', 'Viewer'] as const;
export type Role = (typeof ROLES)[number];
export const WORKSPACES = 4;
export const PASSWORD = 'correct horse battery staple';
/** Companies per workspace; each has 3 contacts, 2 activities and 3 deals. */
export const COMPANIES = 60;
/** Deals per side, workspace and user who may update (Admin, Operator, Pipeline): updates and stage changes cycle over them. */
export const WORK_DEALS = 30;
/** Deals per side and workspace ready to be deleted before the side's creates give it more. */
export const DELETE_RESERVE = 100;

export type Side = 'ours' | 'baseline';
export const SIDES: readonly Side[] = ['ours', 'baseline'];

export interface BenchUser {
  id: string;
  email: string;
  role: Role;
  workspace: number;
  workspaceId: string;
  accessToken: string;
}

export interface WorkspaceData {
  id: string;
  companyIds: string[];
  /** The seeded deals that reads pick from (never mutated). */
  dealIds: string[];
  /** Per side: deals each updating user (by user id) updates and moves between stages; all start 'Qualified'. */
  work: Record<Side, Map<string, string[]>>;
  /** Per side: deals to delete, oldest first. */
  deletable: Record<Side, string[]>;
}

export interface MixData {
  users: BenchUser[];
  workspaces: WorkspaceData[];
}

/**
 * Registers each workspace's Admin through the API (which creates the workspace), adds the other
 * users as the table owner with the Admin's password hash, signs everyone in through the API and
 * seeds the rows.
 */
export async function seedMix(apiUrl: string, ownerUrl: string): Promise<MixData> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const users: Omit<BenchUser, 'accessToken'>[] = [];
    const workspaces: WorkspaceData[] = [];
    for (let w = 0; w < WORKSPACES; w++) {
      const admin = await post(apiUrl, '/auth/register', {
        email: `admin${w}@bench.example`,
        password: PASSWORD,
        name: `Admin ${w}`,
        workspace_name: `Bench Workspace ${w}`,
      });
      const workspaceId = (admin as { workspace: { id: string } }).workspace.id;
      const adminId = (admin as { user: { id: string } }).user.id;
      users.push({ id: adminId, email: `admin${w}@bench.example`, role: 'Admin', workspace: w, workspaceId });
      for (let u = 1; u < ROLES.length; u++) {
        const email = `${ROLES[u]!.toLowerCase()}${u}-${w}@bench.example`;
        const { rows } = await client.query<{ id: string }>(
          `WITH u AS (
             INSERT INTO users (email, name, password_hash) SELECT $1, $2, password_hash FROM users WHERE id = $3 RETURNING id
           )
           INSERT INTO memberships (workspace_id, user_id, role) SELECT $4, u.id, $5 FROM u RETURNING user_id AS id`,
          [email, `${ROLES[u]} ${u} of ${w}`, adminId, workspaceId, ROLES[u]],
        );
        users.push({ id: rows[0]!.id, email, role: ROLES[u]!, workspace: w, workspaceId });
      }
      workspaces.push(
        await seedWorkspace(
          client,
          workspaceId,
          users.filter((user) => user.workspace === w),
        ),
      );
    }
    await client.query('ANALYZE');
    const signedIn: BenchUser[] = [];
    for (const user of users) {
      const session = (await post(apiUrl, '/auth/login', { email: user.email, password: PASSWORD, workspace_id: user.workspaceId })) as {
        access_token: string;
      };
      signedIn.push({ ...user, accessToken: session.access_token });
    }
    return { users: signedIn, workspaces };
  } finally {
    await client.end();
  }
}

async function seedWorkspace(client: pg.Client, workspaceId: string, users: Omit<BenchUser, 'accessToken'>[]): Promise<WorkspaceData> {
  const owners = users.map((user) => user.id);
  const updaters = users.filter((user) => user.role !== 'Viewer').map((user) => user.id);
  // Whole seconds apart: the API's cursors carry milliseconds, and no two rows share a time.
  const { rows: companies } = await client.query<{ id: string }>(
    `INSERT INTO companies (workspace_id, name, domain, industry, size_range, status, employee_count, employee_count_90d_ago, owner_id, created_at)
     SELECT $1, 'Company ' || n, 'company' || n || '.example', (ARRAY['Software','Retail','Media'])[1 + n % 3], '51-200',
            (ARRAY['Lead','Prospect','Customer','Churned'])[1 + n % 4], 100 + n, 90 + n, ($2::uuid[])[1 + n % array_length($2::uuid[], 1)],
            date_trunc('second', now()) - n * interval '1 hour'
       FROM generate_series(1, $3::int) AS n
     RETURNING id`,
    [workspaceId, owners, COMPANIES],
  );
  const companyIds = companies.map((row) => row.id);
  await client.query(
    `INSERT INTO contacts (workspace_id, company_id, first_name, last_name, email, owner_id)
     SELECT $1, c, 'Ada', 'Lovelace ' || k, 'ada' || k || '.' || c || '@bench.example', ($3::uuid[])[1 + k % array_length($3::uuid[], 1)]
       FROM unnest($2::uuid[]) AS c, generate_series(1, 3) AS k`,
    [workspaceId, companyIds, owners],
  );
  await client.query(
    `INSERT INTO activities (workspace_id, company_id, kind, label, actor_id, occurred_at)
     SELECT $1, c, 'Email Sent', 'Intro ' || k, $3::uuid, now() - k * interval '1 hour'
       FROM unnest($2::uuid[]) AS c, generate_series(1, 2) AS k`,
    [workspaceId, companyIds, owners[0]],
  );
  const insertDeals = async (count: number, stage: string | null, ownerIds: string[], minutesBack: number) => {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO deals (workspace_id, company_id, owner_id, title, amount, stage, created_at)
       SELECT $1, ($2::uuid[])[1 + n % array_length($2::uuid[], 1)], ($3::uuid[])[1 + n % array_length($3::uuid[], 1)],
              'Deal ' || n, 1000 * (1 + n % 50), COALESCE($4::text, (ARRAY['New','Qualified','Proposal Sent','Negotiation','Won','Lost'])[1 + n % 6]),
              date_trunc('second', now()) - ($5::int + n) * interval '1 minute'
         FROM generate_series(1, $6::int) AS n
       ORDER BY n
       RETURNING id`,
      [workspaceId, companyIds, ownerIds, stage, minutesBack, count],
    );
    return rows.map((row) => row.id);
  };
  const dealIds = await insertDeals(COMPANIES * 3, null, updaters, 10_000);
  const work = { ours: new Map<string, string[]>(), baseline: new Map<string, string[]>() };
  const deletable = { ours: [] as string[], baseline: [] as string[] };
  let offset = 20_000;
  for (const side of SIDES) {
    for (const updater of updaters) {
      work[side].set(updater, await insertDeals(WORK_DEALS, 'Qualified', [updater], (offset += 1_000)));
    }
    deletable[side] = await insertDeals(DELETE_RESERVE, 'New', [owners[0]!], (offset += 1_000));
  }
  return { id: workspaceId, companyIds, dealIds, work, deletable };
}

async function post(baseUrl: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}
