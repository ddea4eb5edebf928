import { COMPANY_STATUSES, DEAL_TRANSITIONS, INDUSTRIES, SIZE_RANGES } from '@acme-examples/crm-contracts';
import type { ApiRequest, ApiResponse, Session } from './api-client';
import { EntityPool, type Entity, type EntityKind, type LockMode, type WorkspaceKey } from './entity-pool';

/** What the API should answer: a change (2xx, one 'Success' entry), a refusal by role (403), or another workspace's record (404). */
export type Expectation = 'Success' | 'Denied' | 'Foreign';

/** A mutation ready to send, and what the run learns from its answer. */
export interface PlannedMutation {
  seq: number;
  requestId: string;
  /** The audit entry it should leave: `@Audit({ action, subject })` of the service method. */
  action: 'Create' | 'Update' | 'Delete' | 'Stage Change';
  subject: EntityKind;
  request: ApiRequest;
  session: Session;
  expect: Expectation;
  /** The record changed (known before the request, except for creates). */
  subjectId: string | null;
  /** Releases the locks and updates the pool; returns the subject id (a create's comes from the response). */
  complete(response: ApiResponse): string | null;
}

type Op = (seq: number) => PlannedMutation | null;

const ok = (status: number) => status >= 200 && status < 300;
const PATHS: Record<EntityKind, string> = { Company: '/companies', Contact: '/contacts', Deal: '/deals' };

/**
 * Chooses the run's mutations: creates, updates, stage changes and deletes of companies,
 * contacts and deals in both workspaces by every role that may make them, plus refusals a user
 * relies on (a Viewer creating, a Pipeline rep deleting or changing someone else's record: 403)
 * and attempts on another workspace's records (404). Every request carries its own request id
 * and every name the run id, so the audit trail and the tables can be searched for them.
 */
export class MutationPlanner {
  private readonly pool: EntityPool;
  private readonly ops: [weight: number, op: Op][];
  private readonly totalWeight: number;

  constructor(
    private readonly runId: string,
    private readonly sessions: Session[],
    private readonly random: () => number = Math.random,
  ) {
    this.pool = new EntityPool(random);
    this.ops = [
      [12, (seq) => this.createCompany(seq)],
      [8, (seq) => this.update(seq, 'Company', { employee_count: this.int(10_000), status: this.pickOf(COMPANY_STATUSES) })],
      [3, (seq) => this.remove(seq, 'Company')],
      [12, (seq) => this.createChild(seq, 'Contact')],
      [8, (seq) => this.update(seq, 'Contact', { job_title: `Buyer ${seq}` })],
      [4, (seq) => this.remove(seq, 'Contact')],
      [13, (seq) => this.createChild(seq, 'Deal')],
      [7, (seq) => this.update(seq, 'Deal', { amount: this.int(500_000) })],
      [13, (seq) => this.moveStage(seq)],
      [5, (seq) => this.remove(seq, 'Deal')],
      [4, (seq) => this.viewerCreates(seq)],
      [3, (seq) => this.pipelineDeletes(seq)],
      [3, (seq) => this.pipelineChangesOthers(seq)],
      [5, (seq) => this.foreignUpdate(seq)],
    ];
    this.totalWeight = this.ops.reduce((sum, [weight]) => sum + weight, 0);
  }

  /** The request id of mutation `seq`: `chaos-<run>-m000042`. */
  static requestId(runId: string, seq: number): string {
    return `chaos-${runId}-m${String(seq).padStart(6, '0')}`;
  }

  /** The marker a foreign-workspace attempt writes: no table may ever contain it. */
  static foreignMarker(runId: string): string {
    return `chaos-foreign-${runId}`;
  }

  next(seq: number): PlannedMutation {
    for (let attempt = 0; attempt < 12; attempt++) {
      let roll = this.random() * this.totalWeight;
      const [, op] = this.ops.find(([weight]) => (roll -= weight) < 0) ?? this.ops[0]!;
      const planned = op(seq);
      if (planned) return planned;
    }
    // Nothing else fits right now (an empty pool, every record busy): a create always does.
    return this.createCompany(seq);
  }

  private createCompany(seq: number): PlannedMutation {
    const session = this.mutator();
    const body = {
      name: `Chaos ${this.runId} c${seq}`,
      industry: this.pickOf(INDUSTRIES),
      size_range: this.pickOf(SIZE_RANGES),
      status: this.pickOf(COMPANY_STATUSES),
      employee_count: this.int(5_000),
    };
    return this.planned(seq, session, 'Create', 'Company', { method: 'POST', path: '/companies', body }, 'Success', null, [], (response) => {
      const id = (response.body as { id?: string } | null)?.id ?? null;
      if (ok(response.status) && id)
        this.pool.add({ kind: 'Company', id, workspace: session.workspace, ownerId: session.userId, companyId: null, stage: null });
      return id;
    })!; // no locks to take: always planned
  }

  private createChild(seq: number, kind: 'Contact' | 'Deal'): PlannedMutation | null {
    const session = this.mutator();
    // Shared: the company must outlive the request (a delete of it waits for the lock).
    const company = this.pool.pick(session.workspace, 'Company', 'shared');
    if (!company) return null;
    const body =
      kind === 'Contact'
        ? { company_id: company.id, first_name: 'Chaos', last_name: `${this.runId}-${seq}`, email: `chaos-${this.runId}-${seq}@example.test` }
        : { company_id: company.id, title: `Chaos ${this.runId} d${seq}`, amount: this.int(250_000) };
    return this.planned(seq, session, 'Create', kind, { method: 'POST', path: PATHS[kind], body }, 'Success', null, [[company, 'shared']], (response) => {
      const id = (response.body as { id?: string } | null)?.id ?? null;
      if (ok(response.status) && id) {
        this.pool.add({ kind, id, workspace: session.workspace, ownerId: session.userId, companyId: company.id, stage: kind === 'Deal' ? 'New' : null });
      }
      return id;
    });
  }

  private update(seq: number, kind: EntityKind, body: Record<string, unknown>): PlannedMutation | null {
    const session = this.mutator();
    // A Pipeline rep may change only what they own.
    const target = this.pool.pick(session.workspace, kind, 'exclusive', (e) => session.role !== 'Pipeline' || e.ownerId === session.userId);
    if (!target) return null;
    return this.onRecord(seq, session, 'Update', target, { method: 'PATCH', path: `${PATHS[kind]}/${target.id}`, body }, 'Success');
  }

  private moveStage(seq: number): PlannedMutation | null {
    const session = this.mutator();
    const deal = this.pool.pick(session.workspace, 'Deal', 'exclusive', (e) => session.role !== 'Pipeline' || e.ownerId === session.userId);
    if (!deal?.stage) return null;
    const stage = this.pickOf(DEAL_TRANSITIONS[deal.stage]);
    return this.onRecord(
      seq,
      session,
      'Stage Change',
      deal,
      { method: 'POST', path: `/deals/${deal.id}/stage`, body: { stage, note: null } },
      'Success',
      () => {
        deal.stage = stage;
      },
    );
  }

  private remove(seq: number, kind: EntityKind): PlannedMutation | null {
    const session = this.mutator((s) => s.role !== 'Pipeline');
    const target = this.pool.pick(session.workspace, kind, 'exclusive');
    if (!target) return null;
    return this.onRecord(seq, session, 'Delete', target, { method: 'DELETE', path: `${PATHS[kind]}/${target.id}` }, 'Success', () => this.pool.retire(target));
  }

  private viewerCreates(seq: number): PlannedMutation {
    const session = this.pickOf(this.sessions.filter((s) => s.role === 'Viewer'));
    const body = { name: `Chaos ${this.runId} refused ${seq}`, industry: 'Software', size_range: '1-10' };
    return this.planned(seq, session, 'Create', 'Company', { method: 'POST', path: '/companies', body }, 'Denied', null, [], () => null)!;
  }

  private pipelineDeletes(seq: number): PlannedMutation | null {
    const session = this.pickOf(this.sessions.filter((s) => s.role === 'Pipeline'));
    const deal = this.pool.pick(session.workspace, 'Deal', 'exclusive', (e) => e.ownerId === session.userId);
    if (!deal) return null;
    // Should it be allowed after all, the deal is gone.
    return this.onRecord(seq, session, 'Delete', deal, { method: 'DELETE', path: `/deals/${deal.id}` }, 'Denied', () => this.pool.retire(deal));
  }

  private pipelineChangesOthers(seq: number): PlannedMutation | null {
    const session = this.pickOf(this.sessions.filter((s) => s.role === 'Pipeline'));
    const company = this.pool.pick(session.workspace, 'Company', 'exclusive', (e) => e.ownerId !== session.userId);
    if (!company) return null;
    return this.onRecord(seq, session, 'Update', company, { method: 'PATCH', path: `/companies/${company.id}`, body: { employee_count: 1 } }, 'Denied');
  }

  /** A token of one workspace against a record of the other: must be 404 and change nothing. */
  private foreignUpdate(seq: number): PlannedMutation | null {
    const session = this.mutator();
    const other: WorkspaceKey = session.workspace === 'northwind' ? 'globex' : 'northwind';
    const kind = this.pickOf(['Company', 'Contact', 'Deal'] as const);
    const target = this.pool.pick(other, kind, 'exclusive');
    if (!target) return null;
    const marker = `${MutationPlanner.foreignMarker(this.runId)} ${seq}`;
    const body = kind === 'Company' ? { name: marker } : kind === 'Contact' ? { job_title: marker } : { title: marker };
    return this.planned(
      seq,
      session,
      'Update',
      kind,
      { method: 'PATCH', path: `${PATHS[kind]}/${target.id}`, body },
      'Foreign',
      target.id,
      [[target, 'exclusive']],
      () => target.id,
    );
  }

  /** A request on an existing record: locks it (and its company), retires it when its state became unknown. */
  private onRecord(
    seq: number,
    session: Session,
    action: PlannedMutation['action'],
    target: Entity,
    request: Omit<ApiRequest, 'token' | 'requestId'>,
    expect: Expectation,
    onSuccess: () => void = () => undefined,
  ): PlannedMutation | null {
    const company = target.companyId ? this.pool.get(target.companyId) : undefined;
    const locks: [Entity, LockMode][] = company
      ? [
          [company, 'shared'],
          [target, 'exclusive'],
        ]
      : [[target, 'exclusive']];
    return this.planned(seq, session, action, target.kind, request, expect, target.id, locks, (response) => {
      if (ok(response.status)) onSuccess();
      // No answer, a server error, or a record that vanished: what it holds now is not known.
      else if (response.status === 0 || response.status >= 500 || (expect === 'Success' && response.status >= 400)) this.pool.retire(target);
      return target.id;
    });
  }

  private planned(
    seq: number,
    session: Session,
    action: PlannedMutation['action'],
    subject: EntityKind,
    request: Omit<ApiRequest, 'token' | 'requestId'>,
    expect: Expectation,
    subjectId: string | null,
    locks: [Entity, LockMode][],
    onResponse: (response: ApiResponse) => string | null,
  ): PlannedMutation | null {
    const release = this.pool.lock(locks);
    if (!release) return null;
    const requestId = MutationPlanner.requestId(this.runId, seq);
    return {
      seq,
      requestId,
      action,
      subject,
      request: { ...request, token: session.token, requestId },
      session,
      expect,
      subjectId,
      complete: (response) => {
        release();
        return onResponse(response);
      },
    };
  }

  /** A session that may change records (Admin, Operator, Pipeline), of either workspace. */
  private mutator(filter: (s: Session) => boolean = () => true): Session {
    return this.pickOf(this.sessions.filter((s) => s.role !== 'Viewer' && filter(s)));
  }

  private pickOf<T>(values: readonly T[]): T {
    return values[Math.floor(this.random() * values.length)]!;
  }

  private int(max: number): number {
    return Math.floor(this.random() * max);
  }
}
