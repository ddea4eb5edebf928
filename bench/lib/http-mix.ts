/**
 * The request mix of `pnpm bench http`: a seeded sequence of operations, the same for both
 * sides, each one made into a request for a side by a {@link MixRunner} (ours signs requests
 * with the user's access token, the baseline names the user in headers). Only operations the
 * user's role allows are sent, so both sides answer 2xx to every request.
 */
import type { BenchUser, MixData, Side, WorkspaceData } from './http-mix-data.ts';

export const PAGE = 20;

/** Share of each operation in the mix, in percent (sums to 100). */
export const MIX = {
  'GET /deals': 20,
  'GET /deals?stage': 10,
  'GET /deals?cursor': 10,
  'GET /companies': 5,
  'GET /companies?status': 5,
  'GET /deals/:id': 20,
  'GET /companies/:id': 10,
  'POST /deals': 5,
  'PATCH /deals/:id': 5,
  'POST /deals/:id/stage': 5,
  'DELETE /deals/:id': 5,
} as const;
export type OperationKind = keyof typeof MIX;
export const MUTATIONS: readonly OperationKind[] = ['POST /deals', 'PATCH /deals/:id', 'POST /deals/:id/stage', 'DELETE /deals/:id'];

/** Who may send each operation (the CRM's abilities): everyone reads, Viewers write nothing, only Admin and Operator delete. */
const ALLOWED: Partial<Record<OperationKind, readonly string[]>> = {
  'POST /deals': ['Admin', 'Operator', 'Pipeline'],
  'PATCH /deals/:id': ['Admin', 'Operator', 'Pipeline'],
  'POST /deals/:id/stage': ['Admin', 'Operator', 'Pipeline'],
  'DELETE /deals/:id': ['Admin', 'Operator'],
};
const STAGES = ['New', 'Qualified', 'Proposal Sent', 'Negotiation', 'Won', 'Lost'];
const STATUSES = ['Lead', 'Prospect', 'Customer', 'Churned'];

export interface Operation {
  kind: OperationKind;
  user: number;
  /** A seeded choice (which deal, company, stage or status). */
  pick: number;
}

/** mulberry32: small, fast and the same on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` operations drawn with the MIX shares, each by a random user whose role allows it. */
export function operationSequence(users: readonly BenchUser[], length: number, seed = 42): Operation[] {
  const next = random(seed);
  const kinds = Object.entries(MIX) as [OperationKind, number][];
  const sequence: Operation[] = [];
  for (let i = 0; i < length; i++) {
    let roll = next() * 100;
    const kind = kinds.find(([, share]) => (roll -= share) < 0)?.[0] ?? 'GET /deals';
    const allowed = ALLOWED[kind];
    const candidates = users.map((user, index) => ({ user, index })).filter(({ user }) => !allowed || allowed.includes(user.role));
    sequence.push({ kind, user: candidates[Math.floor(next() * candidates.length)]!.index, pick: Math.floor(next() * 1_000_000) });
  }
  balanceDeletes(sequence, users);
  return sequence;
}

/**
 * Deletes take the deals creates made, and the sequence repeats as long as a load lasts: so each
 * pass must delete in every workspace exactly as many deals as it creates there, or a long load
 * would run out of deals to delete (or pile them up). The surplus of one kind becomes the other
 * (the shares move by a fraction of a percent), and the n-th delete is sent by an Admin or
 * Operator of the n-th create's workspace.
 */
function balanceDeletes(sequence: Operation[], users: readonly BenchUser[]): void {
  const creates = sequence.filter((op) => op.kind === 'POST /deals');
  const deletes = sequence.filter((op) => op.kind === 'DELETE /deals/:id');
  const [surplus, into] = creates.length > deletes.length ? ([creates, deletes] as const) : ([deletes, creates] as const);
  const kind = surplus === creates ? 'DELETE /deals/:id' : 'POST /deals';
  while (surplus.length - into.length > 1) {
    const op = surplus.splice(Math.floor(surplus.length * 0.618), 1)[0]!;
    op.kind = kind;
    into.push(op);
  }
  if (surplus.length !== into.length) surplus.pop()!.kind = 'GET /deals';
  const ordered = (kind: OperationKind) => sequence.filter((op) => op.kind === kind);
  const deleters = (workspace: number) =>
    users.map((user, index) => ({ user, index })).filter(({ user }) => user.workspace === workspace && ['Admin', 'Operator'].includes(user.role));
  const createsInOrder = ordered('POST /deals');
  ordered('DELETE /deals/:id').forEach((op, n) => {
    const candidates = deleters(users[createsInOrder[n]!.user]!.workspace);
    op.user = candidates[op.pick % candidates.length]!.index;
  });
}

export interface MixRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
  kind: OperationKind;
  /** Index of the user's workspace in MixData.workspaces. */
  workspace: number;
  /** For stage changes: the deal and the stage it moves to. */
  stage?: { dealId: string; to: string };
}

/** Answers per operation kind: 2xx, and the others with a sample of what came back. */
export interface Tally {
  ok: Record<string, number>;
  failed: Record<string, { count: number; sample: string }>;
  /** Deletes that found no deal to delete and were sent as a GET /deals/:id instead. */
  starved: number;
}

/**
 * Makes the operations of the sequence into one side's requests, in order, and keeps that side's
 * state: the deals its creates made (which its deletes then delete, oldest first), the stage of
 * each of its deals that stage changes move (Qualified <-> Lost), the position in the sequence.
 */
export class MixRunner {
  private position = 0;
  private readonly robin = new Map<string, number>();
  private readonly stages = new Map<string, string>();
  private readonly deletable: string[][];
  tally: Tally = { ok: {}, failed: {}, starved: 0 };

  constructor(
    readonly side: Side,
    private readonly data: MixData,
    private readonly sequence: readonly Operation[],
    private readonly cursors: readonly string[],
  ) {
    this.deletable = data.workspaces.map((workspace) => [...workspace.deletable[side]]);
    for (const workspace of data.workspaces) for (const ids of workspace.work[side].values()) for (const id of ids) this.stages.set(id, 'Qualified');
  }

  /** Every deal this side moves between stages (to re-read their stages after a load, see {@link setStages}). */
  get stageDeals(): string[] {
    return [...this.stages.keys()];
  }

  /** The stages as the database has them: requests cut off at the end of a load may have moved some. */
  setStages(rows: { id: string; stage: string }[]): void {
    for (const row of rows) this.stages.set(row.id, row.stage);
  }

  /** Clears the tally (per round) and returns the one it had. */
  takeTally(): Tally {
    const tally = this.tally;
    this.tally = { ok: {}, failed: {}, starved: 0 };
    return tally;
  }

  /** The next operation of the sequence (it wraps around) as this side's request. */
  next(): MixRequest {
    const operation = this.sequence[this.position++ % this.sequence.length]!;
    return this.request(operation);
  }

  /** The first operation of `kind` in the sequence as this side's request (the sample checks). */
  sample(kind: OperationKind): MixRequest {
    const operation = this.sequence.find((op) => op.kind === kind);
    if (!operation) throw new Error(`the sequence has no ${kind}`);
    return this.request(operation);
  }

  /** Records an answer; a create's new deal becomes deletable, a stage change's stage is kept. */
  onResponse(request: MixRequest, status: number, body: string): void {
    if (status >= 200 && status < 300) {
      this.tally.ok[request.kind] = (this.tally.ok[request.kind] ?? 0) + 1;
      if (request.kind === 'POST /deals') {
        this.deletable[request.workspace]!.push((JSON.parse(body) as { id: string }).id);
      }
      if (request.stage) this.stages.set(request.stage.dealId, request.stage.to);
      return;
    }
    const failed = (this.tally.failed[request.kind] ??= { count: 0, sample: '' });
    failed.count++;
    failed.sample ||= `${request.method} ${request.path} -> ${status} ${body.slice(0, 300)}`;
  }

  private request(operation: Operation): MixRequest {
    const user = this.data.users[operation.user]!;
    const workspace = this.data.workspaces[user.workspace]!;
    const headers = this.headers(user);
    const pick = operation.pick;
    const dealId = workspace.dealIds[pick % workspace.dealIds.length]!;
    const base = { headers, kind: operation.kind, workspace: user.workspace };
    const withBody = { ...base, headers: { ...headers, 'content-type': 'application/json' } };
    const get = (path: string): MixRequest => ({ ...base, method: 'GET', path });
    switch (operation.kind) {
      case 'GET /deals':
        return get(`/deals?limit=${PAGE}`);
      case 'GET /deals?stage':
        return get(`/deals?limit=${PAGE}&stage=${encodeURIComponent(STAGES[pick % STAGES.length]!)}`);
      case 'GET /deals?cursor':
        return get(`/deals?limit=${PAGE}&cursor=${this.cursors[user.workspace]!}`);
      case 'GET /companies':
        return get(`/companies?limit=${PAGE}`);
      case 'GET /companies?status':
        return get(`/companies?limit=${PAGE}&status=${STATUSES[pick % STATUSES.length]!}`);
      case 'GET /deals/:id':
        return get(`/deals/${dealId}`);
      case 'GET /companies/:id':
        return get(`/companies/${workspace.companyIds[pick % workspace.companyIds.length]!}`);
      case 'POST /deals': {
        const body = { company_id: workspace.companyIds[pick % workspace.companyIds.length], title: `Bench deal ${pick}`, amount: 1000 + (pick % 9000) };
        return { ...withBody, method: 'POST', path: '/deals', body: JSON.stringify(body) };
      }
      case 'PATCH /deals/:id': {
        const id = this.workDeal(workspace, user, 'update');
        const body = { title: `Deal ${pick}`, amount: pick % 100_000 };
        return { ...withBody, method: 'PATCH', path: `/deals/${id}`, body: JSON.stringify(body) };
      }
      case 'POST /deals/:id/stage': {
        const id = this.workDeal(workspace, user, 'stage');
        const to = this.stages.get(id) === 'Lost' ? 'Qualified' : 'Lost';
        return { ...withBody, method: 'POST', path: `/deals/${id}/stage`, body: JSON.stringify({ stage: to }), stage: { dealId: id, to } };
      }
      case 'DELETE /deals/:id': {
        const id = this.deletable[user.workspace]!.shift();
        if (!id) {
          this.tally.starved++;
          return get(`/deals/${dealId}`);
        }
        return { ...base, method: 'DELETE', path: `/deals/${id}` };
      }
    }
  }

  /** The user's next deal (round robin): a Pipeline user's own deals, which the CASL condition `ownerId: user.id` lets them update. */
  private workDeal(workspace: WorkspaceData, user: BenchUser, purpose: string): string {
    const deals = workspace.work[this.side].get(user.id)!;
    const key = `${purpose}:${user.id}`;
    const turn = this.robin.get(key) ?? 0;
    this.robin.set(key, turn + 1);
    return deals[turn % deals.length]!;
  }

  private headers(user: BenchUser): Record<string, string> {
    if (this.side === 'ours') return { authorization: `Bearer ${user.accessToken}` };
    return { 'x-workspace-id': user.workspaceId, 'x-user-id': user.id, 'x-role': user.role };
  }
}
