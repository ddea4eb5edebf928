import 'reflect-metadata';
import { bootstrapWorker, getProducerToken, type Producer } from '@acme/nest-queues';
import { Logger } from 'nestjs-pino';
import { InvalidEnvironmentError, parseEnv, WorkerEnvSchema } from './config/env.schema';
import { maintenance } from './jobs/queues';
import { WorkerModule } from './worker/worker.module';

/** The worker process: BullMQ processors, crons (job schedulers) and the audit writer. SIGTERM drains it. */
let env;
try {
  env = parseEnv(process.env, WorkerEnvSchema);
} catch (error) {
  if (error instanceof InvalidEnvironmentError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
// Every line through nestjs-pino (JSON, with the context), the startup ones included.
const worker = await bootstrapWorker(WorkerModule.forRoot(), { loggerFrom: (app) => app.get(Logger) });
if (env.RUN_MAINTENANCE_ON_START) {
  const producer = worker.app.get<Producer<typeof maintenance>>(getProducerToken(maintenance), { strict: false });
  await producer.add({}, { jobId: `on-start-${Date.now()}` });
}
