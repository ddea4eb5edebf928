import type { DealStage } from '@acme-examples/crm-contracts';

export type WorkspaceKey = 'northwind' | 'globex';
export type EntityKind = 'Company' | 'Contact' | 'Deal';

/** A record the run created, as far as the run knows it. */
export interface Entity {
  kind: EntityKind;
  id: string;
  workspace: WorkspaceKey;
  ownerId: string;
  /** Contacts and deals: their company (deleting it deletes them: ON DELETE CASCADE). */
  companyId: string | null;
  /** Deals: the stage the last successful change left it in. */
  stage: DealStage | null;
  /** Requests in flight that need the record to exist (a child's create, an update of a child). */
  holds: number;
  /** A request in flight that changes or deletes the record itself. */
  exclusive: boolean;
  gone: boolean;
}

export type LockMode = 'shared' | 'exclusive';

/**
 * The records a run works on, with per-record locks. Locks keep concurrent requests of the run
 * itself from racing (a contact created under a company being deleted would be a foreign-key
 * conflict the workload caused, not the chaos): every outcome then has one expected audit entry.
 */
export class EntityPool {
  private readonly lists = new Map<string, Entity[]>();
  private readonly byId = new Map<string, Entity>();

  constructor(private readonly random: () => number) {}

  add(entity: Omit<Entity, 'holds' | 'exclusive' | 'gone'>): void {
    const full: Entity = { ...entity, holds: 0, exclusive: false, gone: false };
    this.list(full.workspace, full.kind).push(full);
    this.byId.set(full.id, full);
  }

  get(id: string | null): Entity | undefined {
    return id ? this.byId.get(id) : undefined;
  }

  size(workspace: WorkspaceKey, kind: EntityKind): number {
    return this.list(workspace, kind).length;
  }

  /** A random live record of that kind, free for `mode`, matching `filter`. */
  pick(workspace: WorkspaceKey, kind: EntityKind, mode: LockMode, filter: (e: Entity) => boolean = () => true): Entity | undefined {
    const list = this.list(workspace, kind);
    const fits = (e: Entity) => !e.gone && lockable(e, mode) && filter(e);
    for (let i = 0; i < 8 && list.length; i++) {
      const candidate = list[Math.floor(this.random() * list.length)]!;
      if (fits(candidate)) return candidate;
    }
    return list.find(fits);
  }

  /** Takes every lock or none; returns the release function. */
  lock(locks: [Entity, LockMode][]): (() => void) | null {
    if (!locks.every(([e, mode]) => !e.gone && lockable(e, mode))) return null;
    for (const [e, mode] of locks) {
      if (mode === 'shared') e.holds++;
      else e.exclusive = true;
    }
    return () => {
      for (const [e, mode] of locks) {
        if (mode === 'shared') e.holds--;
        else e.exclusive = false;
      }
    };
  }

  /** The record is deleted, or its state is unknown (a request without an answer): never used again. */
  retire(entity: Entity): void {
    entity.gone = true;
    const list = this.list(entity.workspace, entity.kind);
    const index = list.indexOf(entity);
    if (index !== -1) list.splice(index, 1);
    if (entity.kind === 'Company') {
      // Its contacts and deals went with it (ON DELETE CASCADE).
      for (const kind of ['Contact', 'Deal'] as const) {
        for (const child of this.list(entity.workspace, kind).filter((c) => c.companyId === entity.id)) this.retire(child);
      }
    }
  }

  private list(workspace: WorkspaceKey, kind: EntityKind): Entity[] {
    const key = `${workspace}:${kind}`;
    let list = this.lists.get(key);
    if (!list) this.lists.set(key, (list = []));
    return list;
  }
}

function lockable(e: Entity, mode: LockMode): boolean {
  return mode === 'shared' ? !e.exclusive : !e.exclusive && e.holds === 0;
}
