import { Inject, Injectable, Optional, StreamableFile, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { createViewContract, type ViewContract, type ViewContractOptions } from './view-contract';
import { RESOLVED_VIEW_PRESENTER_OPTIONS, resolveViewPresenterOptions } from './resolve-view-presenter-options';
import { VIEW_RESPONSE_METADATA, type ViewResponseMetadata } from './view-response.metadata';

/**
 * Enforces the view contract `@ViewResponse` attached to the handler: validates (or, unsampled,
 * shape-strips) the handler's value before Nest serializes it. Applied by the decorator; you do not
 * register it yourself.
 */
@Injectable()
export class ViewResponseInterceptor implements NestInterceptor {
  // One contract per handler, built on its first request: compilation stays off the startup path.
  private readonly contracts = new WeakMap<object, ViewContract | null>();
  /** The module's options (resolved at bootstrap) where this route's module sees `ViewPresenterModule`, else the defaults. */
  private readonly defaults: ViewContractOptions;

  constructor(@Optional() @Inject(RESOLVED_VIEW_PRESENTER_OPTIONS) options?: ViewContractOptions) {
    this.defaults = options ?? resolveViewPresenterOptions({}, 'ViewPresenterModule');
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const contract = this.contractFor(context.getHandler());
    if (!contract || contract.mode === 'off') return next.handle();
    return next.handle().pipe(map((value) => (value instanceof StreamableFile ? value : contract.enforce(value))));
  }

  private contractFor(handler: object): ViewContract | null {
    let contract = this.contracts.get(handler);
    if (contract === undefined) {
      const metadata = Reflect.getMetadata(VIEW_RESPONSE_METADATA, handler) as ViewResponseMetadata | undefined;
      contract = metadata
        ? createViewContract(metadata.schema, {
            ...this.defaults,
            ...definedOnly({ mode: metadata.options.mode, sampleRate: metadata.options.sampleRate }),
            name: metadata.name,
          })
        : null;
      this.contracts.set(handler, contract);
    }
    return contract;
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
