/**
 * The CRM example as the HTTP benches run it: built from its sources, migrated into a fresh
 * database, a user registered through its API and companies seeded as the table owner.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** examples/crm-api: its `dist/main.js` is what the benches start. */
export const crmApi = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'crm-api');

/** Rebuilds the app (tsup, well under a second), so a bench never measures a stale dist. */
export function buildCrmApi(): void {
  const run = spawnSync('pnpm', ['run', '--silent', 'build'], { cwd: crmApi, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`crm-api build failed:\n${run.stderr}${run.stdout}`);
}

export function migrate(ownerUrl: string, passwords: { app: string; system: string }): void {
  const run = spawnSync(process.execPath, [join(crmApi, 'dist', 'migrate.js')], {
    cwd: crmApi,
    env: { ...process.env, MIGRATION_DATABASE_URL: ownerUrl, APP_DB_PASSWORD: passwords.app, SYSTEM_DB_PASSWORD: passwords.system },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`crm-api migrate failed (is it built? pnpm build):\n${run.stderr}${run.stdout}`);
}

export function asRole(url: string, role: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = role;
  parsed.password = password;
  return parsed.toString();
}

/** Registers a user, which creates their workspace (they are its Admin), through the API. */
export async function register(baseUrl: string): Promise<{ accessToken: string; workspaceId: string; userId: string }> {
  const response = await fetch(`${baseUrl}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', password: 'correct horse battery staple', name: 'Bench', workspace_name: 'Bench Co' }),
  });
  if (response.status !== 201) throw new Error(`register answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { access_token: string; workspace: { id: string }; user: { id: string } };
  return { accessToken: body.access_token, workspaceId: body.workspace.id, userId: body.user.id };
}

/** `count` companies with 3 contacts, 2 deals (one open) and 2 activities each, as the owner. */
export async function seedCompanies(ownerUrl: string, workspaceId: string, ownerId: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query(
      `WITH company AS (
         INSERT INTO companies (workspace_id, name, domain, industry, size_range, status, employee_count, employee_count_90d_ago, owner_id, created_at)
         SELECT $1, 'Company ' || n, 'company' || n || '.example', 'Software', '51-200', 'Customer', 100 + n, 90 + n, $2, now() - n * interval '1 day'
           FROM generate_series(1, $3::int) AS n
         RETURNING id
       ), contact AS (
         INSERT INTO contacts (workspace_id, company_id, first_name, last_name, email, owner_id)
         SELECT $1, company.id, 'Ada', 'Lovelace ' || k, 'ada' || k || '@' || company.id || '.example', $2 FROM company, generate_series(1, 3) AS k
       ), deal AS (
         INSERT INTO deals (workspace_id, company_id, owner_id, title, amount, stage)
         SELECT $1, company.id, $2, 'Deal ' || k, 1000 * k, CASE k WHEN 1 THEN 'Qualified' ELSE 'Won' END FROM company, generate_series(1, 2) AS k
       )
       INSERT INTO activities (workspace_id, company_id, kind, label, actor_id, occurred_at)
       SELECT $1, company.id, 'Email Sent', 'Intro ' || k, $2, now() - k * interval '1 hour' FROM company, generate_series(1, 2) AS k`,
      [workspaceId, ownerId, count],
    );
  } finally {
    await client.end();
  }
}
