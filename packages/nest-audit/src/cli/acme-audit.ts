#!/usr/bin/env node
import { runCli } from './run-cli';

// The `acme-audit` bin: `acme-audit verify --database-url URL --workspace ID` (see --help).
void runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
