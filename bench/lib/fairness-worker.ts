/**
 * The workers of `pnpm bench fairness`, in their own process as deployed (API and workers apart).
 * argv: <redis url> <prefix>. Prints `ready`, then `s <queue>:<job id> <ms>` when a job of the
 * quiet workspace starts and `p <queue> <count>` as jobs are processed; exits on SIGTERM.
 */
import 'reflect-metadata';
import { ContextModule } from '@acme/nest-context';
import { QueueProcessor, QueuesModule, type QueueDefinition, type QueueJob } from '@acme/nest-queues';
import { Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { fair, fifo, now, QUIET } from './fairness-queues.ts';

const [redisUrl, prefix] = process.argv.slice(2);
const processed = new Map<string, number>([
  [fair.name, 0],
  [fifo.name, 0],
]);

const processors = [fair, fifo].map((queue: QueueDefinition) => {
  @QueueProcessor(queue)
  class Processor {
    process(_payload: unknown, job: QueueJob) {
      if (job.data.context?.workspaceId === QUIET) process.stdout.write(`s ${job.queueName}:${job.id} ${now()}\n`);
      processed.set(job.queueName, processed.get(job.queueName)! + 1);
    }
  }
  return Processor as Type;
});

@Module({
  imports: [ContextModule.forRoot(), QueuesModule.forRoot({ connection: { url: redisUrl! }, prefix, runWorkers: true, metrics: false })],
  providers: processors,
})
class WorkerModule {}

const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error', 'warn'] });
const reported = new Map<string, number>();
setInterval(() => {
  for (const [queue, count] of processed) {
    if (reported.get(queue) === count) continue;
    reported.set(queue, count);
    process.stdout.write(`p ${queue} ${count}\n`);
  }
}, 2);
console.log('ready');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
