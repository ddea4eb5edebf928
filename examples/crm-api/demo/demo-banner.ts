import type { SeedResult } from '../src/database/seed';

/** What the demo prints once everything runs: URLs and requests to paste. */
export function demoBanner(options: { baseUrl: string; seed: SeedResult; logDir: string }): string {
  const { baseUrl, seed } = options;
  const [northwind, globex] = seed.workspaces;
  const login = (email: string) =>
    `curl -s -X POST ${baseUrl}/auth/login -H 'content-type: application/json' -d '{"email":"${email}","password":"${seed.password}"}'`;
  const users = seed.workspaces.map((w) => `  ${w.name.padEnd(20)} ${w.users.map((u) => `${u.email} (${u.role})`).join(', ')}`).join('\n');
  return `
CRM demo is running.

  API          ${baseUrl}
  Swagger UI   ${baseUrl}/docs
  OpenAPI      ${baseUrl}/docs-json
  Health       ${baseUrl}/health
  Metrics      ${baseUrl}/metrics
  Worker       running (BullMQ: stale-deal cron, emails, audit writer)
  Logs         ${options.logDir}/api.log, ${options.logDir}/worker.log

Users (password for all: ${seed.password}):
${users}

Try it (needs curl; jq is optional):

  # 1. Sign in to Northwind as its Admin and keep the access token
  TOKEN=$(${login('ada@northwind.test')} | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')

  # 2. List Northwind's companies (view-ready JSON: owner, counts, growth signal, last activity)
  curl -s ${baseUrl}/companies -H "authorization: Bearer $TOKEN"

  # 3. Ask for a Globex company with the Northwind token: 404, as if it did not exist
  curl -s -i ${baseUrl}/companies/${globex?.firstCompanyId} -H "authorization: Bearer $TOKEN"

  # 4. Switch to Globex (Ada is a Viewer there): a new token, and the same company is now visible
  GLOBEX_TOKEN=$(curl -s -X POST ${baseUrl}/auth/switch-workspace -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"workspace_id":"${globex?.id}"}' | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')
  curl -s ${baseUrl}/companies/${globex?.firstCompanyId} -H "authorization: Bearer $GLOBEX_TOKEN"

  # 5. Change something, then read the audit trail
  curl -s -X POST ${baseUrl}/deals -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"company_id":"${northwind?.firstCompanyId}","title":"Demo upsell","amount":25000}'
  curl -s ${baseUrl}/audit -H "authorization: Bearer $TOKEN"

  # 6. Bad input is a 4xx with a stable code, never a 500
  curl -s -X POST ${baseUrl}/companies -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"name":'

  # 7. The worker ran the nightly stale-deal check at start: the digest email is in its log
  grep 'email rendered' ${options.logDir}/worker.log

Press Ctrl-C to stop everything.
`;
}
