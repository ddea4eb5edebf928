import { ContextModule, ContextService } from '@acme/nest-context';
import { bearer, claimsFromBearer, HTTP_ADAPTERS, startHttpApp } from '@acme/nest-testing';
import { Injectable, Module, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditExport, AuditModule } from '@acme/nest-audit';
import { createAuditFixture, type AuditFixture } from './support/audit-fixture';

/**
 * Entries in the exported workspace. One million by default (about a minute here); set
 * AUDIT_EXPORT_SCALE_ROWS to change it (e.g. 200000 on a slow CI runner).
 */
const ROWS = Number(process.env.AUDIT_EXPORT_SCALE_ROWS ?? 1_000_000);
const WS = '0190a0b2-0000-7000-8000-00000000e001';
const OTHER = '0190a0b2-0000-7000-8000-00000000e002';
const MB = 1024 * 1024;
/** Twenty memory samples over the export, whatever its size. */
const SAMPLE_EVERY = Math.max(1, Math.floor(ROWS / 20));

/** A full garbage collection (the test process runs without --expose-gc: the flag is set here). */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Counts the export's page queries (its ascending keyset order is its signature). */
function counting(pool: pg.Pool): { pool: pg.Pool; pages: () => number; last: () => { text: string; values: unknown[] } } {
  let pages = 0;
  let last = { text: '', values: [] as unknown[] };
  const proxy = new Proxy(pool, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver);
      return (text: unknown, ...rest: unknown[]) => {
        if (typeof text === 'string' && text.includes('ORDER BY "occurred_at", "id"')) {
          pages++;
          last = { text, values: rest[0] as unknown[] };
        }
        return (target.query as (...args: unknown[]) => unknown)(text, ...rest);
      };
    },
  });
  return { pool: proxy, pages: () => pages, last: () => last };
}

@Injectable()
class ClaimsGuard implements CanActivate {
  constructor(private readonly context: ContextService) {}
  canActivate(execution: ExecutionContext) {
    const claims = claimsFromBearer(execution.switchToHttp().getRequest().headers.authorization);
    if (claims) this.context.update({ workspaceId: claims.workspace as string, actor: { kind: 'User', id: claims.sub as string } });
    return true;
  }
}

describe(`export of ${ROWS.toLocaleString('en')} entries`, () => {
  let fixture: AuditFixture;

  beforeAll(async () => {
    fixture = await createAuditFixture();
    // Set-based inserts: a few seconds for a million rows, with the metadata a real entry has.
    const insert = (workspaceId: string, idPrefix: string, count: number) =>
      fixture.pool.query(
        `INSERT INTO audit_log (id, occurred_at, workspace_id, actor_kind, actor_id, action, subject, subject_id, status, duration_ms, metadata, changes)
         SELECT ($2 || lpad(to_hex(i), 12, '0'))::uuid, now() - interval '1 day' + i * interval '1 ms', $1::uuid, 'User', 'user-' || (i % 97),
                'Update', 'Deal', 'deal-' || (i % 5000), 'Success', i % 50,
                jsonb_build_object('requestPath', '/deals/' || i, 'n', i), jsonb_build_object('stage', jsonb_build_object('from', 'New', 'to', 'Won'))
           FROM generate_series(1, $3::int) AS i`,
        [workspaceId, idPrefix, count],
      );
    // Set-based inserts: seconds for a million rows, with the metadata a real entry has; another
    // workspace's entries interleaved in time.
    await insert(WS, '0190a0b2-0000-7000-8000-', ROWS);
    await insert(OTHER, '0190a0b2-0000-7000-9000-', Math.ceil(ROWS / 10));
    await fixture.pool.query('ANALYZE audit_log');
  }, 300_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it('streams every entry with flat memory (RSS and, after a full GC, the heap sampled while consuming)', async () => {
    const exporter = new AuditExport(fixture.pool);
    collectGarbage();
    const before = process.memoryUsage();
    const stream = exporter.stream({ workspaceId: WS, format: 'ndjson' });
    let lines = 0;
    let last = '';
    const rss: number[] = [];
    const heap: number[] = [];
    for await (const chunk of stream as AsyncIterable<string>) {
      for (let at = chunk.indexOf('\n'); at !== -1; at = chunk.indexOf('\n', at + 1)) {
        lines++;
        if (lines % SAMPLE_EVERY === 0) {
          rss.push(process.memoryUsage().rss);
          // What the export keeps alive: the heap after a full collection (RSS alone also counts
          // garbage V8 has not collected yet, which varies with the machine's load).
          collectGarbage();
          heap.push(process.memoryUsage().heapUsed);
        }
      }
      last = chunk;
    }
    expect(lines).toBe(ROWS);
    expect(last.endsWith('\n')).toBe(true);
    const growth = (samples: number[], from: number) => Math.max(...samples) - from;
    console.log(
      `export memory over ${lines} lines: RSS ${Math.round(before.rss / MB)} MB before, max ${Math.round(Math.max(...rss) / MB)} MB; ` +
        `live heap ${Math.round(before.heapUsed / MB)} MB before, max ${Math.round(Math.max(...heap) / MB)} MB`,
    );
    // The table is about 600 MB of NDJSON: buffering any sizeable part of it shows in both.
    expect(growth(rss, before.rss)).toBeLessThan(160 * MB);
    expect(growth(heap, before.heapUsed)).toBeLessThan(24 * MB);
  }, 240_000);

  it('reads the next page only when the reader took the previous one (a paused reader holds the export)', async () => {
    const { pool, pages } = counting(fixture.pool);
    const stream = new AuditExport(pool).stream({ workspaceId: WS, format: 'csv' });
    const chunks = stream[Symbol.asyncIterator]();
    await chunks.next();
    await sleep(300);
    const paused = pages();
    await sleep(700);
    expect(pages()).toBe(paused); // nothing read while nobody reads
    expect(paused).toBeLessThanOrEqual(3);
    expect(stream.readableLength).toBeLessThan(4 * MB);
    // Reading on takes the rest, page by page.
    for (let n = 0; n < 50; n++) await chunks.next();
    expect(pages()).toBeGreaterThan(paused + 40);
    await chunks.return!();
    expect(stream.destroyed).toBe(true);
  });

  it('reads each page off the workspace index in order: no sort, whatever the depth', async () => {
    const { pool, last } = counting(fixture.pool);
    const stream = new AuditExport(pool).stream({ workspaceId: WS, format: 'ndjson' });
    const chunks = stream[Symbol.asyncIterator]();
    await chunks.next();
    await chunks.next(); // the second page: the one with a position bound
    await chunks.return!();
    const { rows } = await fixture.pool.query(`EXPLAIN (FORMAT JSON) ${last().text}`, last().values);
    const nodes: string[] = [];
    const visit = (node: { 'Node Type': string; 'Index Name'?: string; Plans?: unknown[] }) => {
      nodes.push(`${node['Node Type']}${node['Index Name'] ? ` ${node['Index Name']}` : ''}`);
      for (const child of (node.Plans ?? []) as (typeof node)[]) visit(child);
    };
    visit(rows[0]['QUERY PLAN'][0].Plan);
    expect(nodes.filter((node) => node.startsWith('Sort'))).toEqual([]);
    // Each partition through its copy of <table>_workspace_time_idx (workspace_id, occurred_at DESC, id DESC).
    const scans = nodes.filter((node) => node.includes('Scan'));
    expect(scans.length).toBeGreaterThan(0);
    expect(scans.filter((node) => !/^Index (Only )?Scan \S+_workspace_id_occurred_at_id_idx$/.test(node))).toEqual([]);
  });

  it.each(HTTP_ADAPTERS)('over HTTP (%s): a slow client holds the export, and a client that leaves ends it', async (adapter) => {
    const { pool, pages } = counting(fixture.pool);
    @Module({
      imports: [ContextModule.forRoot(), AuditModule.forRoot({ database: { pool }, controller: {} })],
      providers: [{ provide: APP_GUARD, useClass: ClaimsGuard }],
    })
    class AppModule {}
    const http = await startHttpApp(AppModule, adapter);
    try {
      // node:http, so leaving is a socket closed for sure (fetch may keep it for reuse).
      const request = httpGet(`${http.url}/audit/export`, { headers: bearer({ sub: 'u', workspace: WS }) });
      const response = await new Promise<IncomingMessage>((resolve, reject) => request.once('response', resolve).once('error', reject));
      expect(response.statusCode).toBe(200);
      await new Promise((resolve) => response.once('readable', resolve));
      response.pause();
      await sleep(500);
      const held = pages();
      await sleep(1_000);
      // Socket buffers take a few pages; then the server waits for the client.
      expect(pages()).toBe(held);
      expect(held).toBeLessThan(60);
      request.destroy();
      await sleep(500);
      const afterLeaving = pages();
      await sleep(500);
      expect(pages()).toBe(afterLeaving); // the export stopped with the connection
    } finally {
      await http.close();
    }
  });
});
