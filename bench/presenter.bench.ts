/**
 * What enforcing a view contract costs a list endpoint: a 1,000-row `Page` through the presenter,
 * the contract (`createViewContract`, the engine behind `@ViewResponse`) and JSON serialization,
 * against the same presenter and serialization without the contract. Rows look like node-pg
 * output: Date objects, counts as strings/bigints/nulls, an internal column the view must drop.
 *
 * strict:  every response validated (compiled once per schema with z.compile), unknown keys stripped.
 * sampled: sampleRate 0.1: one response in ten validated, the others only stripped of unknown keys.
 * runtime: strict on Zod's runtime parser (compile: false), for reference.
 * The BENCH line is strict, the mode the suite recommends everywhere.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { count, countSchema, createViewContract, definePresenter, iso, isoSchema, lastActivity, lastActivitySchema, Page } from '@acme/nest-view-presenter';
import { compare, report } from './lib/measure.ts';

// zod is a peer of the package and bench/ does not depend on it: load the very copy (ESM entry)
// the built package imports, so schemas and the package share one Zod instance.
const requireFromPackage = createRequire(createRequire(import.meta.url).resolve('@acme/nest-view-presenter/package.json'));
const zodDir = dirname(requireFromPackage.resolve('zod/package.json'));
const { z } = (await import(pathToFileURL(join(zodDir, 'index.js')).href)) as { z: any };

const DealView = z.object({
  id: z.uuid(),
  title: z.string(),
  status: z.enum(['Lead', 'Proposal Sent', 'Won', 'Lost']),
  amount_cents: z.int(),
  owner: z.object({ id: z.uuid(), name: z.string(), avatar_url: z.string().nullable() }),
  contact_count: countSchema(),
  note_count: countSchema(),
  created_at: isoSchema(),
  updated_at: isoSchema(),
  closed_at: isoSchema().nullable(),
  last_activity: lastActivitySchema(['Email Sent', 'Call Logged']),
});

interface DealRow {
  id: string;
  title: string;
  status: string;
  amount_cents: string;
  owner_id: string;
  owner_name: string;
  owner_avatar: string | null;
  contact_count: string | null;
  note_count: bigint | null;
  created_at: Date;
  updated_at: Date;
  closed_at: Date | null;
  last_activity_kind: 'Email Sent' | null;
  last_activity_at: Date | null;
  password_hash: string;
}

const base = Date.UTC(2026, 0, 1);
const rows: DealRow[] = Array.from({ length: 1_000 }, (_, i) => ({
  id: `0190a0b0-0000-7000-8000-${String(i).padStart(12, '0')}`,
  title: `Deal ${i}`,
  status: 'Proposal Sent',
  amount_cents: String(i * 100),
  owner_id: '0190a0b0-0000-7000-8000-000000000001',
  owner_name: 'Ada Lovelace',
  owner_avatar: null,
  contact_count: i % 4 ? String(i % 7) : null,
  note_count: i % 3 ? BigInt(i) : null,
  created_at: new Date(base + i * 60_000),
  updated_at: new Date(base + i * 120_000),
  closed_at: i % 2 ? new Date(base) : null,
  last_activity_kind: i % 2 ? 'Email Sent' : null,
  last_activity_at: i % 2 ? new Date(base + 86_400_000) : null,
  password_hash: 'argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
}));

const DealPresenter = definePresenter(DealView, (row: DealRow) => ({
  id: row.id,
  title: row.title,
  status: row.status as 'Proposal Sent',
  amount_cents: Number(row.amount_cents),
  owner: { id: row.owner_id, name: row.owner_name, avatar_url: row.owner_avatar },
  contact_count: count(row.contact_count),
  note_count: count(row.note_count),
  created_at: iso(row.created_at),
  updated_at: iso(row.updated_at),
  closed_at: iso(row.closed_at),
  last_activity: lastActivity(row.last_activity_kind, row.last_activity_at, 'Email to Grace Hopper'),
}));

const DealPage = Page(DealView);
const page = () => DealPresenter.toPage(rows, { total: '1000', next_cursor: null });
const strict = createViewContract(DealPage, { name: 'bench strict' });
const sampled = createViewContract(DealPage, { name: 'bench sampled', sampleRate: 0.1 });
const runtime = createViewContract(DealPage, { name: 'bench runtime', compile: false });

// The contract must be doing its job, or the figures mean nothing: same JSON, nothing lost.
const expected = JSON.stringify(page());
for (const contract of [strict, sampled, runtime]) {
  if (JSON.stringify(contract.enforce(page())) !== expected) throw new Error(`${contract.name} changed a valid page`);
}
const leaky = { ...page(), items: page().items.map((item: object) => ({ ...item, password_hash: 'x' })) };
if (JSON.stringify(sampled.enforce(leaky)).includes('password_hash')) throw new Error('sampled mode leaked a field');

const baseline = () => JSON.stringify(page());
const options = { iterations: 40, rounds: 15, warmup: 3 };
const perList = (ns: number) => `${(ns / 1_000).toFixed(0)} us`;

const runtimeRun = await compare(() => JSON.stringify(runtime.enforce(page())), baseline, options);
const sampledRun = await compare(() => JSON.stringify(sampled.enforce(page())), baseline, options);
const strictRun = await compare(() => JSON.stringify(strict.enforce(page())), baseline, options);

for (const [mode, run] of [
  ['runtime (compile: false)', runtimeRun],
  ['sampled (sampleRate 0.1)', sampledRun],
  ['strict', strictRun],
] as const) {
  console.log(
    `presenter ${mode}: ${perList(run.ours.nsPerOp)} per 1,000-row page vs ${perList(run.baseline.nsPerOp)} without the contract, ` +
      `ratio ${(run.ours.nsPerOp / run.baseline.nsPerOp).toFixed(3)}, ` +
      `${((run.ours.nsPerOp - run.baseline.nsPerOp) / 1_000_000).toFixed(3)} us per row`,
  );
}
report('presenter', strictRun.ours.nsPerOp, strictRun.baseline.nsPerOp, 'ns/op', 'lower', { ours: strictRun.ours.rounds, baseline: strictRun.baseline.rounds });
