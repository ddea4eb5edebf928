/**
 * The audit writer as deployed: its own process consuming the 'audit-write' queue.
 * argv: <database url> <redis url> <prefix> [chain]. With "chain", it writes with integrity.chain on.
 * Prints "ready" once consuming; exits on SIGTERM.
 */
import { ContextModule } from '@acme/nest-context';
import 'reflect-metadata';
import { AuditModule } from '@acme/nest-audit';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

const [databaseUrl, redisUrl, prefix, chain] = process.argv.slice(2);

@Module({
  imports: [
    ContextModule.forRoot(),
    AuditModule.forRoot({
      database: { connectionString: databaseUrl!, max: 4 },
      queue: { connection: { url: redisUrl! }, prefix, concurrency: 4 },
      ...(chain === 'chain' ? { integrity: { chain: true } } : {}),
    }),
  ],
})
class WorkerModule {}

const app = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
console.log('ready');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
