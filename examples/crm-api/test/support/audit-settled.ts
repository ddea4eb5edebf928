import { Queue } from 'bullmq';
import pg from 'pg';
import request from 'supertest';
import type { StoredEntry } from './audit-log';
import type { TestApp } from './test-app';

const POLL_MS = 25;
const TIMEOUT_MS = 15_000;

/**
 * The audit entries of one request once nothing more of it can arrive, proven rather than waited
 * for: its first entry is in the table, then a later request (the marker) has its own entry there
 * too, and the audit queue has no batch left waiting or in progress. Batches leave the process in
 * the order their entries were recorded, so any further entry of the request travelled before the
 * marker's and has been written by then: a count of 1 means "exactly one", not "one so far".
 * `app.server` may be a running API's URL (another process): the marker then goes to that process.
 */
export async function settledEntriesOf(
  app: Pick<TestApp, 'env' | 'ownerUrl'> & { server: TestApp['server'] | string },
  requestId: string,
): Promise<StoredEntry[]> {
  const client = new pg.Client({ connectionString: app.ownerUrl });
  await client.connect();
  const queue = new Queue('audit-write', { connection: { url: app.env.REDIS_URL! }, prefix: app.env.QUEUE_PREFIX });
  try {
    const read = async (id: string) =>
      (
        await client.query<StoredEntry>(
          'SELECT action, subject, subject_id, status, error_code, workspace_id, actor_id, changes FROM audit_log WHERE request_id = $1 ORDER BY occurred_at, id',
          [id],
        )
      ).rows;
    await until(async () => (await read(requestId)).length > 0, `an audit entry of request ${requestId}`);
    // The marker: an unknown refresh token, audited as one 'Refresh' Failure under its own request id.
    const marker = await request(app.server).post('/auth/refresh').send({ refresh_token: 'audit-marker' });
    const markerId = marker.headers['x-request-id'] as string;
    await until(async () => (await read(markerId)).length > 0, `the marker entry (request ${markerId})`);
    // Batches only: the audit module's periodic tasks (checkpoints, sinks) wait in the queue as delayed 'task:*' jobs.
    await until(async () => {
      const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);
      return jobs.every((job) => !job || job.name !== 'batch');
    }, 'the audit queue to have no batch left');
    return await read(requestId);
  } finally {
    await queue.close();
    await client.end();
  }
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
