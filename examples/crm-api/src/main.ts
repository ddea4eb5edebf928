import 'reflect-metadata';
import { InvalidEnvironmentError, parseEnv } from './config/env.schema';
import { createHttpApp } from './http-app';

/** The HTTP process. The worker is a separate process: src/worker.ts. */
async function main(): Promise<void> {
  let env;
  try {
    env = parseEnv(process.env);
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const app = await createHttpApp();
  await app.listen(env.PORT, env.HOST);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
