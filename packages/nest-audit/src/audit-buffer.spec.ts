import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AuditBuffer } from './audit-buffer';
import type { AuditEntry } from './audit-entry';

const entry = (n: number) => ({ id: String(n) }) as AuditEntry;

describe('AuditBuffer', () => {
  it('sends a full batch at once and the rest after the wait', async () => {
    const batches: string[][] = [];
    const buffer = new AuditBuffer(async (batch) => void batches.push(batch.map((e) => e.id)), 3, 20);
    for (let i = 1; i <= 4; i++) buffer.push(entry(i));
    expect(batches).toEqual([['1', '2', '3']]);
    await sleep(40);
    expect(batches).toEqual([['1', '2', '3'], ['4']]);
  });

  it('drain sends what is left and waits for batches in flight', async () => {
    let finished = 0;
    const buffer = new AuditBuffer(
      async () => {
        await sleep(20);
        finished++;
      },
      2,
      10_000,
    );
    buffer.push(entry(1));
    buffer.push(entry(2)); // in flight
    buffer.push(entry(3)); // waiting
    await buffer.drain();
    expect(finished).toBe(2);
    expect(buffer.pending).toBe(0);
  });
});
