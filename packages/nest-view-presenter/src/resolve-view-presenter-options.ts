import type { ViewContractMode, ViewContractViolation } from './contract-violation';
import type { ViewContractOptions } from './view-contract';
import { ViewPresenterOptionsError } from './view-presenter.errors';

/** `ViewContractOptions` with every default applied: what the package reads, never `?? default` at use sites. */
export interface ResolvedViewContractOptions {
  readonly mode: ViewContractMode;
  readonly sampleRate: number;
  readonly onViolation: ((violation: ViewContractViolation) => void) | undefined;
  readonly compile: boolean;
}

/** The defaults, in one place (documented with `@default` on `ViewContractOptions`). */
const DEFAULTS = { mode: 'strict', sampleRate: 1, compile: true } as const;

/** Internal DI token of the module's `ResolvedViewContractOptions`, resolved once at bootstrap. */
export const RESOLVED_VIEW_PRESENTER_OPTIONS = Symbol('@acme/nest-view-presenter:resolved-options');

/**
 * Validates `options` (a `ViewPresenterOptionsError` naming the option and `where` it was given)
 * and applies the defaults. `ViewPresenterModule` calls it once at bootstrap, `createViewContract`
 * once per contract.
 */
export function resolveViewPresenterOptions(options: ViewContractOptions, where: string): ResolvedViewContractOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ViewPresenterOptionsError(`${where} options must be an object, e.g. { mode: 'strict', sampleRate: 1 }.`);
  }
  validateContractOptions(options, where);
  return Object.freeze({
    mode: options.mode ?? DEFAULTS.mode,
    sampleRate: options.sampleRate ?? DEFAULTS.sampleRate,
    onViolation: options.onViolation,
    compile: options.compile ?? DEFAULTS.compile,
  });
}

const MODES: readonly unknown[] = ['strict', 'log', 'off'] satisfies ViewContractMode[];

/** Fails fast (bootstrap or decoration time) instead of on the first response. */
export function validateContractOptions(options: ViewContractOptions, where: string): void {
  const { mode, sampleRate, onViolation, compile } = options;
  if (mode !== undefined && !MODES.includes(mode)) {
    throw new ViewPresenterOptionsError(`${where} option "mode" must be 'strict', 'log' or 'off', got ${JSON.stringify(mode)}.`);
  }
  if (sampleRate !== undefined && (typeof sampleRate !== 'number' || !(sampleRate >= 0 && sampleRate <= 1))) {
    throw new ViewPresenterOptionsError(
      `${where} option "sampleRate" must be a number from 0 to 1 (the fraction of responses validated), got ${JSON.stringify(sampleRate)}.`,
    );
  }
  if (onViolation !== undefined && typeof onViolation !== 'function') {
    throw new ViewPresenterOptionsError(`${where} option "onViolation" must be a function (violation) => void, or left out.`);
  }
  if (compile !== undefined && typeof compile !== 'boolean') {
    throw new ViewPresenterOptionsError(`${where} option "compile" must be true or false (default true), got ${JSON.stringify(compile)}.`);
  }
}
