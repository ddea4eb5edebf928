import type { ViewContractOptions } from './view-contract';
import { ViewPresenterOptionsError } from './view-presenter.errors';

const MODES = ['strict', 'log', 'off'];

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
    throw new ViewPresenterOptionsError(`${where} option "onViolation" must be a function.`);
  }
  if (compile !== undefined && typeof compile !== 'boolean') {
    throw new ViewPresenterOptionsError(`${where} option "compile" must be a boolean.`);
  }
}
