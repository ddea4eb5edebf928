/** Options of `ContextModule.forRoot` / `forRootAsync`. All have defaults. */
export interface ContextModuleOptions {
  /**
   * Request header carrying an upstream request id (load balancer, gateway, caller). A well-formed
   * value (1-128 of `A-Z a-z 0-9 . _ : -`) is reused; anything else is replaced by a new id.
   * @default 'x-request-id'
   */
  requestIdHeader?: string;
  /**
   * Send the request id back in the same response header, so clients can quote it.
   * @default true
   */
  echoRequestId?: boolean;
  /**
   * Makes request ids for requests without a usable header.
   * @default uuidv7
   */
  generateRequestId?: () => string;
  /**
   * Open the context for every HTTP route with the module's middleware. Turn it off only when
   * you open the context yourself (`ContextMiddleware` on selected routes, or `ContextService.run`).
   * @default true
   */
  mountMiddleware?: boolean;
}

/** Extras that shape the module itself rather than its behaviour. */
export interface ContextModuleExtras {
  /**
   * Register the module globally so feature modules can inject `ContextService` without importing it.
   * @default true
   */
  isGlobal?: boolean;
}
