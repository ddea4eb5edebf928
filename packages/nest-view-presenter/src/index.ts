export { definePresenter, type ContextArgs, type Presenter } from './presenter';
export { Page, toPage, type PageInfo, type PageSchema } from './page.schema';
export { iso, isoSchema, type DateLike } from './iso.helper';
export { count, countSchema, type CountLike } from './count.helper';
export {
  taggedUnion,
  lastActivity,
  lastActivitySchema,
  type ActivityFields,
  type LastActivity,
  type TaggedUnion,
} from './tagged-union.helper';
export { filterPermittedFields } from './permitted-fields.helper';
export { isTitleCase } from './title-case';
export {
  assertViewContract,
  lintViewContract,
  ViewContractLintError,
  type ViewContractProblem,
  type ViewContractRule,
} from './contract-lint';
export { ViewResponse, type ViewHandler, type ViewResponseOptions } from './view-response.decorator';
export { ViewResponseInterceptor } from './view-response.interceptor';
export {
  createViewContract,
  type CreateViewContractOptions,
  type ViewContract,
  type ViewContractOptions,
} from './view-contract';
export {
  ViewContractViolationError,
  type ViewContractIssue,
  type ViewContractMode,
  type ViewContractViolation,
} from './contract-violation';
export { ViewPresenterModule } from './view-presenter.module';
export { VIEW_PRESENTER_MODULE_OPTIONS, VIEW_PRESENTER_OPTIONS } from './view-presenter.module-definition';
export type { ViewPresenterModuleExtras, ViewPresenterModuleOptions } from './view-presenter.options';
export {
  FieldNotRedactableError,
  InvalidViewValueError,
  ViewPresenterError,
  ViewPresenterOptionsError,
} from './view-presenter.errors';
