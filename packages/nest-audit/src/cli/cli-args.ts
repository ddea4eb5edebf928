import { parseArgs } from 'node:util';
import { AuditError } from '../audit.errors';

/** The text `acme-audit --help` prints. */
export const USAGE = `Usage: acme-audit verify --database-url URL --workspace ID [options]

Verifies the hash chain of one workspace's audit entries.

Options:
  --database-url URL     PostgreSQL connection string (default: $DATABASE_URL)
  --workspace ID         workspace UUID; the nil UUID 00000000-0000-0000-0000-000000000000
                         verifies the entries recorded without a workspace
  --table NAME           audit table (default: audit_log)
  --schema NAME          schema of the table (default: the search_path)
  --from ISO             verify only entries at or after this instant
  --to ISO               verify only entries before this instant
  --checkpoints FILE     published checkpoints: a JSON array, or one checkpoint (or one
                         array of them) per line (repeatable)
  --public-key FILE      Ed25519 public key PEM to check signatures with (repeatable);
                         KEYID=FILE when the checkpoints use a key id of your own
  --json                 print the result as JSON
  -h, --help             print this help

Exit codes: 0 the chain is valid, 1 problems were found, 2 usage or connection error.`;

/** What the command line asked for. */
export interface VerifyArgs {
  databaseUrl: string;
  workspace: string;
  table: string;
  schema: string | undefined;
  from: string | undefined;
  to: string | undefined;
  checkpointFiles: string[];
  publicKeys: string[];
  json: boolean;
}

/** Bad command-line input: printed with the usage, exit code 2. */
export class CliUsageError extends AuditError {
  readonly code = 'AUDIT_CLI_USAGE';
}

/** Parses `acme-audit` arguments; 'help' when help was asked for. */
export function parseCliArgs(argv: readonly string[], env: Record<string, string | undefined>): VerifyArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        'database-url': { type: 'string' },
        workspace: { type: 'string' },
        table: { type: 'string' },
        schema: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        checkpoints: { type: 'string', multiple: true },
        'public-key': { type: 'string', multiple: true },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === 'help') return 'help';
  if (positionals.length === 0) throw new CliUsageError('Missing command: acme-audit verify ...');
  if (positionals[0] !== 'verify') throw new CliUsageError(`Unknown command ${JSON.stringify(positionals[0])}: the command is "verify".`);
  if (positionals.length > 1) throw new CliUsageError(`Unexpected argument ${JSON.stringify(positionals[1])}.`);
  const databaseUrl = values['database-url'] ?? env.DATABASE_URL;
  if (!databaseUrl) throw new CliUsageError('Missing --database-url (or the DATABASE_URL environment variable).');
  if (!values.workspace) throw new CliUsageError('Missing --workspace: the UUID of the workspace whose chain to verify.');
  return {
    databaseUrl,
    workspace: values.workspace,
    table: values.table ?? 'audit_log',
    schema: values.schema,
    from: values.from,
    to: values.to,
    checkpointFiles: values.checkpoints ?? [],
    publicKeys: values['public-key'] ?? [],
    json: values.json ?? false,
  };
}
