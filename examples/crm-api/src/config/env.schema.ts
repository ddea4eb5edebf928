import { z } from 'zod';

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a ${protocols.join(' or ')}// URL`,
  );

/** OWASP's minimum argon2id memory cost (KiB) with t=2, p=1. */
const OWASP_ARGON2_MEMORY_KIB = 19_456;

/** The API's environment (the worker's is a subset). Every variable is validated once, at startup. */
export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Connection as the runtime role (crm_app): not superuser, no BYPASSRLS, owns nothing. */
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  /** Connection as the BYPASSRLS role (crm_system) for deliberate cross-workspace reads. */
  SYSTEM_DATABASE_URL: url(['postgres:', 'postgresql:']),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  REDIS_URL: url(['redis:', 'rediss:']),
  /** Prefix of the app's Redis keys: every BullMQ queue (audit writes included) and the sign-in limits. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:{}_-]+$/)
    .default('crm'),
  /**
   * Start on a Redis that can lose queued jobs and audit batches (AOF off, or a maxmemory-policy
   * other than noeviction): startup then warns instead of refusing. For tests and development only;
   * in production run Redis with `appendonly yes` and `maxmemory-policy noeviction`.
   */
  REDIS_ALLOW_VOLATILE: z.stringbool().default(false),
  /**
   * Also run the audit batch writer (the audit queue's consumer) in the API process. The worker
   * process (src/worker.ts) always runs it; turn this on only where no worker runs (tests).
   */
  AUDIT_WRITER_IN_API: z.stringbool().default(false),
  /**
   * Hash-chain the audit trail per workspace (tamper evidence; `acme-audit verify` checks it). Every
   * process that writes audit entries must agree: the API and the worker read the same variable.
   */
  AUDIT_CHAIN: z.stringbool().default(true),
  /**
   * Ed25519 private key (PKCS#8 PEM; `\n` escapes allowed) that signs the chain heads every
   * minute. '' writes no checkpoints. Keep its public key where verifiers can find it.
   */
  AUDIT_CHECKPOINT_KEY: z.string().default(''),
  /**
   * File the signed checkpoints are appended to (NDJSON), off the database: a deletion of the
   * newest entries is only detectable against a copy the database cannot reach. '' = not published.
   */
  AUDIT_CHECKPOINT_FILE: z.string().default(''),
  /** A SIEM webhook that receives every workspace's entries in chain order (signed POSTs). '' = none. */
  AUDIT_WEBHOOK_URL: z.union([z.literal(''), url(['http:', 'https:'])]).default(''),
  /** HMAC-SHA256 secret of the webhook's `acme-audit-signature` header. */
  AUDIT_WEBHOOK_SECRET: z.string().default(''),
  /** Worker: enqueue the nightly maintenance (stale-deal check) once at startup too (the demo does). */
  RUN_MAINTENANCE_ON_START: z.stringbool().default(false),
  /** HS256 signing key of access tokens. */
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(90).default(30),
  /** Largest accepted request body (body-parser syntax). */
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/, "like '100kb'")
    .default('100kb'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Write the JSON log lines to this file instead of stdout ('' = stdout). */
  LOG_FILE: z.string().default(''),
  /** Argon2id memory cost in KiB (OWASP: 19 MiB minimum with t=2, p=1; lower only outside production). */
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(8).default(OWASP_ARGON2_MEMORY_KIB),
  /** Failed sign-ins per email (trimmed, lower-cased) in a window before that email is refused (429). */
  LOGIN_EMAIL_LIMIT: z.coerce.number().int().min(1).default(5),
  /** Failed sign-ins per client IP (IPv6: per /64) in a window before that IP is refused (429). */
  LOGIN_IP_LIMIT: z.coerce.number().int().min(1).default(50),
  /** The window both sign-in limits count in. */
  LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  /** How long an email or IP past its limit is refused (Retry-After). */
  LOGIN_BLOCK_SECONDS: z.coerce.number().int().min(1).default(900),
  /** Cache company and deal reads in Redis (TenantCacheModule); 'false' reads every time from PostgreSQL. */
  CACHE_ENABLED: z.stringbool().default(true),
  /**
   * The cache's Redis, when it is not REDIS_URL's. In production give the cache a Redis of its own
   * with `maxmemory-policy allkeys-lru` and no persistence: the queues' Redis must be `noeviction`
   * with AOF, where cache entries would take memory the jobs need and every entry would be logged.
   */
  CACHE_REDIS_URL: url(['redis:', 'rediss:']).optional(),
  /** How long a cached read lives at most; writes make it stale at once (audit-driven invalidation). */
  CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /**
   * How long each API process keeps a member's membership and role (TenancyModule's membershipCache),
   * saving the database round trip every request makes; 0 looks them up on every request. A role change
   * or a removal is invalidated on every replica at once (Redis pub/sub, channel `<QUEUE_PREFIX>:invalidation`).
   */
  MEMBERSHIP_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  /**
   * While a replica does not hear the invalidation channel (Redis down or unreachable), how long it
   * may use a cached membership or CASL ability: the longest a missed role change or removal lasts there.
   */
  INVALIDATION_FALLBACK_MS: z.coerce.number().int().min(1).max(60_000).default(5000),
  /** Requests a minute per workspace, summed over every API replica (then 429 CACHE_RATE_LIMITED). */
  RATE_LIMIT_WORKSPACE_PER_MINUTE: z.coerce.number().int().min(1).default(6000),
  /** Requests a minute per signed-in user (per client IP without one), over every replica. */
  RATE_LIMIT_USER_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
  /**
   * Express 'trust proxy': whose X-Forwarded-For names the client. The per-IP sign-in limit and the
   * audit's ip read the client address through it. 'false' (direct connections), a hop count ('1'),
   * or proxy addresses/subnets ('loopback, 10.0.0.0/8'). 'true' trusts any sender: a client that
   * reaches the API directly could then claim any IP.
   */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value): boolean | number | string => (value === 'false' ? false : value === 'true' ? true : /^\d+$/.test(value) ? Number(value) : value)),
});
export type Env = z.infer<typeof EnvSchema>;

/** What the worker process needs: no HTTP, no token signing. */
export const WorkerEnvSchema = EnvSchema.omit({
  HOST: true,
  PORT: true,
  JWT_SECRET: true,
  ACCESS_TOKEN_TTL_SECONDS: true,
  REFRESH_TOKEN_TTL_DAYS: true,
  BODY_LIMIT: true,
  AUDIT_WRITER_IN_API: true,
  ARGON2_MEMORY_KIB: true,
  LOGIN_EMAIL_LIMIT: true,
  LOGIN_IP_LIMIT: true,
  LOGIN_WINDOW_SECONDS: true,
  LOGIN_BLOCK_SECONDS: true,
  RATE_LIMIT_WORKSPACE_PER_MINUTE: true,
  RATE_LIMIT_USER_PER_MINUTE: true,
  TRUST_PROXY: true,
});
export type WorkerEnv = z.infer<typeof WorkerEnvSchema>;

/** Thrown for a missing or bad variable; the message names every one of them. */
export class InvalidEnvironmentError extends Error {
  readonly code = 'CRM_INVALID_ENV';
  constructor(readonly problems: string[]) {
    super(`Invalid environment, fix these variables:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/** Validates raw environment variables (process.env) into a typed Env, or throws naming each bad variable. */
export function parseEnv(raw: Record<string, unknown>): Env;
export function parseEnv<S extends z.ZodType>(raw: Record<string, unknown>, schema: S): z.infer<S>;
export function parseEnv(raw: Record<string, unknown>, schema: z.ZodType = EnvSchema): unknown {
  const result = schema.safeParse(raw);
  if (result.success) {
    const weakened = productionProblems(result.data as Record<string, unknown>);
    if (weakened.length) throw new InvalidEnvironmentError(weakened);
    return result.data;
  }
  throw new InvalidEnvironmentError(
    result.error.issues.map((issue) => {
      const name = issue.path.join('.');
      return raw[name] === undefined ? `${name}: missing (${issue.message})` : `${name}: ${issue.message}`;
    }),
  );
}

/** Settings that tests and the demo may lower, but production may not. */
function productionProblems(env: Record<string, unknown>): string[] {
  const problems = webhookProblems(env);
  if (env.NODE_ENV !== 'production') return problems;
  return [...problems, ...productionOnlyProblems(env)];
}

/** A webhook needs its secret (any environment): an unsigned stream could be forged on the way. */
function webhookProblems(env: Record<string, unknown>): string[] {
  if (!env.AUDIT_WEBHOOK_URL) return [];
  const secret = typeof env.AUDIT_WEBHOOK_SECRET === 'string' ? env.AUDIT_WEBHOOK_SECRET : '';
  return secret.length >= 32 ? [] : ['AUDIT_WEBHOOK_SECRET: must be at least 32 characters when AUDIT_WEBHOOK_URL is set'];
}

function productionOnlyProblems(env: Record<string, unknown>): string[] {
  const memory = env.ARGON2_MEMORY_KIB;
  return typeof memory === 'number' && memory < OWASP_ARGON2_MEMORY_KIB
    ? [`ARGON2_MEMORY_KIB: must be at least ${OWASP_ARGON2_MEMORY_KIB} in production (OWASP's minimum for argon2id, t=2, p=1)`]
    : [];
}
