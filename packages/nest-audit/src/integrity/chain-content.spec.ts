import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalUuid, chainHash, chainOf, chainRowOfStored, entryContent, GENESIS_HASH, GLOBAL_CHAIN, type ChainRow } from './chain-content';

const row = (overrides: Partial<ChainRow> = {}): ChainRow => ({
  seq: 1,
  id: '0190a0b2-0000-7000-8000-000000000001',
  occurredAt: new Date('2026-12-03T10:00:00.123Z'),
  workspaceId: '0190a0b2-0000-7000-8000-0000000000a1',
  actorKind: 'User',
  action: 'Update',
  subject: 'Deal',
  subjectId: 'd1',
  status: 'Success',
  errorCode: null,
  errorMessage: null,
  requestId: 'r1',
  durationMs: 12,
  metadata: { b: 1, a: { d: [1, 'x'], c: null } },
  changes: { email: { from: 'a@x.io', to: 'b@x.io' } },
  personalPaths: [['changes', 'email']],
  personalDigest: Buffer.alloc(32, 7),
  ...overrides,
});

describe('canonicalJson', () => {
  it('sorts object keys at every depth, keeps array order and writes no spaces', () => {
    expect(canonicalJson({ b: 1, a: { z: [3, 1, { y: 1, x: 2 }], c: 'é' } })).toBe('{"a":{"c":"é","z":[3,1,{"x":2,"y":1}]},"b":1}');
  });

  it('writes strings and numbers as JSON.stringify does, and odd keys as data', () => {
    const parsed = JSON.parse('{"__proto__":{"x":1},"10":"a","2":"b","s":"\\u2028\\ud83d\\ude00\\"\\\\","n":1e21,"f":0.30000000000000004}');
    expect(canonicalJson(parsed)).toBe('{"10":"a","2":"b","__proto__":{"x":1},"f":0.30000000000000004,"n":1e+21,"s":"\u2028😀\\"\\\\"}');
  });

  it('omits undefined fields and writes undefined array items as null (as JSON.stringify)', () => {
    expect(canonicalJson({ a: undefined, b: [undefined] })).toBe('{"b":[null]}');
  });
});

describe('entryContent and chainHash', () => {
  it('is canonicalJson of the documented array', () => {
    const r = row({ seq: 7 });
    expect(entryContent(r)).toBe(
      canonicalJson([
        'acme-audit/1',
        '7',
        r.id,
        '2026-12-03T10:00:00.123Z',
        r.workspaceId,
        'User',
        'Update',
        'Deal',
        'd1',
        'Success',
        null,
        null,
        'r1',
        12,
        { b: 1, a: { d: [1, 'x'], c: null } },
        { email: '[personal]' },
        [['changes', 'email']],
        '07'.repeat(32),
      ]),
    );
  });

  it('masks personal values, so erasing them leaves the content as it was', () => {
    const content = entryContent(row());
    expect(content).toContain('{"email":"[personal]"}');
    expect(content).not.toContain('a@x.io');
    expect(entryContent(row({ changes: { email: '[erased]' } }))).toBe(content);
  });

  it('covers every hashed field: changing any one changes the content', () => {
    const base = entryContent(row());
    const variants: Partial<ChainRow>[] = [
      { seq: 2 },
      { id: '0190a0b2-0000-7000-8000-000000000002' },
      { occurredAt: new Date('2026-12-03T10:00:00.124Z') },
      { workspaceId: null },
      { actorKind: 'System' },
      { action: 'Create' },
      { subject: 'Company' },
      { subjectId: null },
      { status: 'Failure' },
      { errorCode: 'X' },
      { errorMessage: 'x' },
      { requestId: null },
      { durationMs: 13 },
      { metadata: { b: 2, a: { d: [1, 'x'], c: null } } },
      { changes: { email: { from: 'a@x.io', to: 'b@x.io' }, stage: { from: 'New', to: 'Won' } } },
      { personalPaths: [] },
      { personalDigest: Buffer.alloc(32, 8) },
    ];
    for (const variant of variants) expect(entryContent(row(variant)), JSON.stringify(Object.keys(variant))).not.toBe(base);
  });

  it('is the same for the values a writer has and those pg returns (bigint text, Date, uppercase uuid)', () => {
    const written = row({ seq: 5, occurredAt: '2026-12-03T10:00:00.123Z', id: '0190A0B2-0000-7000-8000-000000000001' });
    const read = row({ seq: '5', occurredAt: new Date('2026-12-03T10:00:00.123Z') });
    expect(entryContent(read)).toBe(entryContent(written));
  });

  it('links each hash to the one before: sha256(prev ‖ utf8(content))', () => {
    const first = chainHash(GENESIS_HASH, 'a');
    expect(first).toEqual(
      createHash('sha256')
        .update(Buffer.concat([Buffer.alloc(32), Buffer.from('a')]))
        .digest(),
    );
    expect(chainHash(first, 'b').equals(chainHash(GENESIS_HASH, 'b'))).toBe(false);
    expect(GENESIS_HASH).toEqual(Buffer.alloc(32));
  });
});

describe('chain keys', () => {
  it('chains entries without a workspace under the nil UUID, and reads uuids as pg prints them', () => {
    expect(chainOf(null)).toBe(GLOBAL_CHAIN);
    expect(chainOf('{0190A0B2000070008000000000000001}')).toBe('0190a0b2-0000-7000-8000-000000000001');
    expect(canonicalUuid('not a uuid')).toBe('not a uuid');
  });

  it('reads a stored row into the content input, and skips rows without a position', () => {
    const stored = {
      chain_seq: '1',
      id: row().id,
      occurred_at: row().occurredAt,
      workspace_id: row().workspaceId,
      actor_kind: 'User',
      action: 'Update',
      subject: 'Deal',
      subject_id: 'd1',
      status: 'Success',
      error_code: null,
      error_message: null,
      request_id: 'r1',
      duration_ms: 12,
      metadata: row().metadata,
      changes: row().changes,
      personal_paths: [['changes', 'email']],
      personal_digest: Buffer.alloc(32, 7),
      actor_id: 'ignored',
    };
    expect(entryContent(chainRowOfStored(stored)!)).toBe(entryContent(row()));
    expect(chainRowOfStored({ ...stored, chain_seq: null })).toBeUndefined();
  });
});
