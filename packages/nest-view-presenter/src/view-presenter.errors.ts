import { AcmeError } from '@acme/nest-context';

/**
 * Base class of the errors this package throws, except the HTTP 500 of a broken contract
 * (`ViewContractViolationError`, an `AcmeHttpException`). `code` (`VIEW_*`) is stable across versions.
 */
export abstract class ViewPresenterError extends AcmeError {}

/**
 * Thrown by `iso()` and `count()` when a value cannot become a view value. Presenters are total
 * over well-formed rows; this error means the row itself is wrong (a bad date, a negative count).
 */
export class InvalidViewValueError extends ViewPresenterError {
  readonly code = 'VIEW_INVALID_VALUE';
}

/** Thrown at bootstrap (module) or decoration time (`@ViewResponse`) for a bad option; the message names it. */
export class ViewPresenterOptionsError extends ViewPresenterError {
  readonly code = 'VIEW_INVALID_OPTIONS';
}

/**
 * Thrown by `filterPermittedFields` when a field the caller may not read cannot be hidden, because
 * the view schema does not allow null for it.
 */
export class FieldNotRedactableError extends ViewPresenterError {
  readonly code = 'VIEW_FIELD_NOT_REDACTABLE';
}
