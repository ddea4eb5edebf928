import { Logger } from '@nestjs/common';
import { z } from 'zod';
import { describeViolation, toViolation, ViewContractViolationError, type ViewContractMode, type ViewContractViolation } from './contract-violation';
import { stripSchemaOf } from './strip-schema';
import { resolveViewPresenterOptions } from './resolve-view-presenter-options';

/** How a view contract is enforced. `@ViewResponse` and `ViewPresenterModule` take the same options. */
export interface ViewContractOptions {
  /**
   * 'strict': a mismatch is logged and becomes a 500. 'log': logged, the response still goes out
   * (unknown fields stripped). 'off': the value passes untouched, unknown fields included.
   * @default 'strict'
   */
  mode?: ViewContractMode;
  /**
   * Fraction of responses fully validated, 0 to 1. The others are still stripped of unknown fields
   * and filled with defaults, but values are not checked. For production traffic that does not need
   * every response checked; tests and staging keep 1.
   * @default 1
   */
  sampleRate?: number;
  /**
   * Called with every violation, after it is logged (metrics, alerts, tests).
   * @default undefined
   */
  onViolation?: (violation: ViewContractViolation) => void;
  /**
   * Compile the schema ahead of time with `z.compile` (Zod 4.6+, uses `new Function`). Turn off where
   * code generation is forbidden; `z.config({ jitless: true })` turns it off too.
   * @default true
   */
  compile?: boolean;
}

/** Options of `createViewContract`: the enforcement options plus the name violations carry. */
export interface CreateViewContractOptions extends ViewContractOptions {
  /**
   * Names the contract in violation records and messages (`@ViewResponse` uses `Controller.handler`).
   * @default the schema's registry id (`.meta({ id })`), else 'view contract'
   */
  name?: string;
}

/** A view schema bound to its enforcement options. */
export interface ViewContract<S extends z.ZodType = z.ZodType> {
  readonly schema: S;
  /** Names the contract in violation records. */
  readonly name: string;
  readonly mode: ViewContractMode;
  readonly sampleRate: number;
  /**
   * The value as the client should get it: validated (sampled) or shape-stripped (not sampled),
   * unknown fields removed, defaults filled. In 'strict' mode a mismatch throws
   * `ViewContractViolationError` (an HTTP 500).
   */
  enforce(value: unknown): z.output<S>;
}

const logger = new Logger('ViewResponse');
type Compiled = { validate: z.ZodType; strip: z.ZodType };
// Compiled once per schema and shared by every route and contract that uses it.
const caches = { compiled: new WeakMap<z.ZodType, Compiled>(), runtime: new WeakMap<z.ZodType, Compiled>() };

function canCompile(wanted: boolean): boolean {
  const compile = (z as { compile?: unknown }).compile;
  return wanted && typeof compile === 'function' && !z.config().jitless;
}

function schemasFor(schema: z.ZodType, compile: boolean): Compiled {
  const cache = compile ? caches.compiled : caches.runtime;
  let entry = cache.get(schema);
  if (!entry) {
    const strip = stripSchemaOf(schema);
    // z.compile never throws: a schema it cannot model comes back unchanged on the runtime parser.
    entry = compile ? { validate: z.compile(schema), strip: z.compile(strip) } : { validate: schema, strip };
    cache.set(schema, entry);
  }
  return entry;
}

/**
 * Binds a view schema to its enforcement, for responses that do not go through `@ViewResponse`
 * (WebSocket events, job results, server-sent events). Compilation happens on first use.
 *
 * @example const contract = createViewContract(DealView, { name: 'deal.updated event' });
 *          socket.emit('deal.updated', contract.enforce(DealPresenter.toView(row)));
 */
export function createViewContract<S extends z.ZodType>(schema: S, options: CreateViewContractOptions = {}): ViewContract<S> {
  const resolved = resolveViewPresenterOptions(options, 'createViewContract');
  const { mode, sampleRate, onViolation } = resolved;
  const name = options.name ?? z.globalRegistry.get(schema)?.id ?? 'view contract';
  const compile = canCompile(resolved.compile);
  let schemas: Compiled | undefined;

  const violated = (issues: readonly z.core.$ZodIssue[], active: 'strict' | 'log') => {
    const violation = toViolation(name, active, issues);
    logger.error({ ...violation, message: describeViolation(violation) });
    onViolation?.(violation);
    return violation;
  };

  return {
    schema,
    name,
    mode,
    sampleRate,
    enforce(value: unknown): z.output<S> {
      if (mode === 'off') return value as z.output<S>;
      schemas ??= schemasFor(schema, compile);
      const sampled = sampleRate >= 1 || Math.random() < sampleRate;
      if (!sampled) {
        const stripped = schemas.strip.safeParse(value);
        if (stripped.success) return stripped.data as z.output<S>;
        // The shape itself is wrong (not an object, an unknown variant): report it like a sampled response.
      }
      const result = schemas.validate.safeParse(value);
      if (result.success) return result.data as z.output<S>;
      const violation = violated(result.error.issues, mode);
      if (mode === 'strict') throw new ViewContractViolationError(violation);
      const stripped = schemas.strip.safeParse(value);
      return (stripped.success ? stripped.data : value) as z.output<S>;
    },
  };
}
