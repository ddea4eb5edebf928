import { runInCommitScope, uuidv7 } from '@acme/nest-context';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore, startCacheApp, TestAuditedWrites, type CacheApp } from './support/cache-app';

describe('invalidation', () => {
  const writes = new TestAuditedWrites();
  let app: CacheApp;
  beforeAll(async () => {
    const { store, prefix } = await redisStore();
    app = await startCacheApp({ cache: { stores: [store], prefix, metrics: { registry: new Registry() } }, auditedWrites: writes });
  });
  afterAll(() => app?.close());

  /** Loads (W, Deal), (W, Company), (other, Deal) into the cache; returns the workspaces. */
  async function warm(): Promise<{ w: string; other: string }> {
    const [w, other] = [uuidv7(), uuidv7()];
    for (const ws of [w, other]) await app.as(ws, () => app.deals.pipeline('won'));
    await app.as(w, () => app.deals.company('c1'));
    app.deals.revision++;
    return { w, other };
  }
  const revisions = async (w: string, other: string) => ({
    deal: (await app.as(w, () => app.deals.pipeline('won'))).revision,
    company: (await app.as(w, () => app.deals.company('c1'))).revision,
    otherDeal: (await app.as(other, () => app.deals.pipeline('won'))).revision,
  });

  it("an audited write of (W, Deal) makes the next read of W's deals miss, and nothing else", async () => {
    const { w, other } = await warm();
    const stale = app.deals.revision - 1;
    await writes.publish({ workspaceId: w, subject: 'Deal' });
    expect(await revisions(w, other)).toEqual({ deal: app.deals.revision, company: stale, otherDeal: stale });
  });

  it('manual invalidate(subject) in the current workspace', async () => {
    const { w, other } = await warm();
    const stale = app.deals.revision - 1;
    await app.as(w, () => app.cache.invalidate('Deal'));
    expect(await revisions(w, other)).toEqual({ deal: app.deals.revision, company: stale, otherDeal: stale });
  });

  it('inside a commit scope: applied after the commit (not before), and not at all on rollback', async () => {
    const { w } = await warm();
    const stale = app.deals.revision - 1;
    await app.as(w, () =>
      runInCommitScope(async () => {
        await app.cache.invalidate('Deal');
        // Still inside the transaction: the invalidation waits for the commit, so another request
        // is still served the entry, while this one reads its own writes from the source.
        expect((await app.as(w, () => app.deals.pipeline('won'))).revision).toBe(stale);
        expect((await app.deals.pipeline('won')).revision).toBe(app.deals.revision);
      }),
    );
    expect((await app.as(w, () => app.deals.pipeline('won'))).revision).toBe(app.deals.revision);

    const { w: rolledBack } = await warm();
    const before = app.deals.revision - 1;
    await app
      .as(rolledBack, () =>
        runInCommitScope(async () => {
          await app.cache.invalidate('Deal');
          throw new Error('rollback');
        }),
      )
      .catch(() => undefined);
    expect((await app.as(rolledBack, () => app.deals.pipeline('won'))).revision).toBe(before);
  });

  it('an entry loaded inside a transaction that rolls back is never stored', async () => {
    const ws = uuidv7();
    await app
      .as(ws, () =>
        runInCommitScope(async () => {
          app.deals.revision = -1; // uncommitted data the load sees
          await app.deals.pipeline('lost');
          throw new Error('rollback');
        }),
      )
      .catch(() => undefined);
    app.deals.revision = 5;
    expect((await app.as(ws, () => app.deals.pipeline('lost'))).revision).toBe(5);
  });
});

describe('two apps on one Redis (two replicas)', () => {
  const writesOfA = new TestAuditedWrites();
  let a: CacheApp;
  let b: CacheApp;
  beforeAll(async () => {
    const { store, prefix, url } = await redisStore();
    const other = await redisStore(url);
    a = await startCacheApp({ cache: { stores: [store], prefix, metrics: false }, auditedWrites: writesOfA });
    b = await startCacheApp({ cache: { stores: [other.store], prefix, metrics: false } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it("an entry cached by one is served by the other, and an invalidation through one is seen by the other's next read", async () => {
    const ws = uuidv7();
    await a.as(ws, () => a.deals.pipeline('won'));
    b.deals.revision = 2;
    expect((await b.as(ws, () => b.deals.pipeline('won'))).revision).toBe(1); // a's entry
    expect(b.deals.loads).toBe(0);

    await writesOfA.publish({ workspaceId: ws, subject: 'Deal' }); // an audited write on replica a
    expect((await b.as(ws, () => b.deals.pipeline('won'))).revision).toBe(2);

    await b.as(ws, () => b.cache.invalidate('Deal')); // a manual one on replica b
    a.deals.revision = 3;
    expect((await a.as(ws, () => a.deals.pipeline('won'))).revision).toBe(3);
  });
});
