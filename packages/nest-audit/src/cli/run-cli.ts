import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import pg from 'pg';
import { AuditError } from '../audit.errors';
import { auditTableName } from '../storage/sql-identifier';
import { checkpointKeyId, parsePublicKey, type AuditCheckpoint } from '../integrity/checkpoint';
import { GLOBAL_CHAIN } from '../integrity/chain-content';
import { verifyAuditChain } from '../integrity/verify';
import { validateVerifyOptions } from '../integrity/verify-input';
import type { AuditVerification } from '../integrity/verify-result';
import { CliUsageError, parseCliArgs, USAGE, type VerifyArgs } from './cli-args';

/** Where the command writes (the process's streams, or a test's buffers). */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
}

/** Exit codes of `acme-audit`. */
export const CLI_EXIT = { ok: 0, problems: 1, usage: 2 } as const;

/**
 * `acme-audit verify ...`: returns the exit code (0 valid, 1 problems found, 2 usage or
 * connection error). Never throws, and prints no stack trace: errors are one line on stderr.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: VerifyArgs | 'help';
  try {
    args = parseCliArgs(argv, io.env);
  } catch (error) {
    io.stderr(`acme-audit: ${messageOf(error)}\nRun acme-audit --help for the options.\n`);
    return CLI_EXIT.usage;
  }
  if (args === 'help') {
    io.stdout(`${USAGE}\n`);
    return CLI_EXIT.ok;
  }
  let pool: pg.Pool | undefined;
  try {
    const name = auditTableName(args.table, args.schema);
    const workspaceId = args.workspace === GLOBAL_CHAIN ? null : args.workspace;
    const options = {
      workspaceId,
      from: args.from,
      to: args.to,
      checkpoints: await readCheckpoints(args.checkpointFiles),
      publicKeys: await readPublicKeys(args.publicKeys),
    };
    validateVerifyOptions(options); // before connecting: a bad argument is reported as such
    pool = new pg.Pool({ connectionString: args.databaseUrl, max: 1, connectionTimeoutMillis: 10_000 });
    pool.on('error', () => undefined); // an idle client dropped by the server: the next query reports it
    await pool.query('SELECT 1').catch((error: Error) => {
      throw new CliUsageError(`could not connect to the database (${error.message}): check --database-url.`);
    });
    const result = await verifyAuditChain(pool, { name }, options);
    io.stdout(args.json ? `${JSON.stringify(result, null, 2)}\n` : describe(result, name.qualified));
    return result.ok ? CLI_EXIT.ok : CLI_EXIT.problems;
  } catch (error) {
    io.stderr(`acme-audit: ${messageOf(error)}\n`);
    return CLI_EXIT.usage;
  } finally {
    await pool?.end().catch(() => undefined);
  }
}

/** The human-readable report: the verdict, then each problem with its entry ids. */
export function describe(result: AuditVerification, table: string): string {
  const chain = result.workspaceId === null ? 'entries without a workspace' : `workspace ${result.workspaceId}`;
  const lines = [
    `Audit chain of ${chain} in ${table}: ${result.ok ? 'valid' : `${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} found`}`,
  ];
  const range = result.firstSeq === null ? 'no entries to verify' : `positions ${result.firstSeq} to ${result.lastSeq}`;
  lines.push(
    `  ${result.checked} entries verified (${range})${result.beforeBoundary ? `, ${result.beforeBoundary} before the retention boundary not verified` : ''}.`,
  );
  for (const problem of result.problems) {
    lines.push(
      `  ${problem.kind}${problem.seq === undefined ? '' : ` at position ${problem.seq}${problem.toSeq !== undefined && problem.toSeq !== problem.seq ? `-${problem.toSeq}` : ''}`}: ${problem.message}`,
    );
    if (problem.entryIds.length) lines.push(`    entries: ${problem.entryIds.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

async function readCheckpoints(files: readonly string[]): Promise<AuditCheckpoint[]> {
  const checkpoints: AuditCheckpoint[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new CliUsageError(`cannot read --checkpoints ${file}: ${error.code ?? error.message}.`);
    });
    // A JSON document (an array, as one publish call received them) or NDJSON (one checkpoint, or one batch, per line).
    const whole = parseJson(text);
    if (whole !== undefined) {
      for (const checkpoint of Array.isArray(whole) ? whole : [whole]) checkpoints.push(checkpoint as AuditCheckpoint);
      continue;
    }
    text.split('\n').forEach((line, index) => {
      if (line.trim() === '') return;
      const parsed = parseJson(line);
      if (parsed === undefined) {
        throw new CliUsageError(`--checkpoints ${file} line ${index + 1} is not JSON: give one checkpoint (or one array of them) per line, or one JSON array.`);
      }
      for (const checkpoint of Array.isArray(parsed) ? parsed : [parsed]) checkpoints.push(checkpoint as AuditCheckpoint);
    });
  }
  return checkpoints;
}

async function readPublicKeys(specs: readonly string[]): Promise<Record<string, KeyObject> | undefined> {
  if (specs.length === 0) return undefined;
  const keys: Record<string, KeyObject> = {};
  for (const spec of specs) {
    const named = /^([A-Za-z0-9._:-]+)=(.+)$/.exec(spec);
    let path = spec;
    let pem = await readFile(spec, 'utf8').catch(() => undefined);
    if (pem === undefined && named) {
      path = named[2]!;
      pem = await readFile(path, 'utf8').catch(() => undefined);
    }
    if (pem === undefined) throw new CliUsageError(`cannot read --public-key ${spec}: give a PEM file, or KEYID=FILE.`);
    const key = parsePublicKey(pem, `--public-key ${path}`);
    keys[path === spec ? checkpointKeyId(key) : named![1]!] = key;
  }
  return keys;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** One line for the user: our errors say what to fix; anything else (a pg error) by its message. */
function messageOf(error: unknown): string {
  if (error instanceof AuditError) return error.message;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${message} (PostgreSQL ${code})` : message;
}
