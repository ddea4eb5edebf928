import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCrmFixture, type CrmFixture } from './support/fixture';

interface LogLine {
  msg: string;
  requestId?: string;
  workspaceId?: string | null;
  actor?: { kind: string; id: string | null };
  req?: { headers?: Record<string, string> };
}

// nestjs-pino with the context mixin: what an operator greps for must be on every line.
describe('structured logs', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'crm-logs-')), 'api.log');
  let f: CrmFixture;
  const lines = () =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogLine);

  beforeAll(async () => {
    f = await startCrmFixture({ LOG_LEVEL: 'info', LOG_FILE: file });
  });
  afterAll(async () => f?.close());

  it('every line of a request carries its request id, workspace and actor', async () => {
    const reads = await request(f.server).get('/companies').set(f.as('admin')).set('x-request-id', 'req-logs-read');
    expect(reads.status).toBe(200);
    const writes = await request(f.server)
      .post('/companies')
      .set(f.as('pipeline'))
      .set('x-request-id', 'req-logs-write')
      .send({ name: 'Logged Ltd', domain: 'logged.example', industry: 'Software', size_range: '11-50', status: 'Prospect' });
    expect(writes.status, JSON.stringify(writes.body)).toBe(201);

    for (const [requestId, persona] of [
      ['req-logs-read', 'admin'],
      ['req-logs-write', 'pipeline'],
    ] as const) {
      const own = lines().filter((line) => line.requestId === requestId);
      expect(own.map((line) => line.msg)).toContain('request completed');
      for (const line of own) {
        expect(line).toMatchObject({ requestId, workspaceId: f.northwindId, actor: { kind: 'User', id: f.userIds[persona] } });
      }
    }
  });

  it('never writes the bearer token', async () => {
    await request(f.server).get('/me').set(f.as('viewer')).expect(200);
    expect(readFileSync(file, 'utf8')).not.toContain(f.tokens.viewer);
  });
});
