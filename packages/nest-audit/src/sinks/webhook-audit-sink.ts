import { createHmac, timingSafeEqual } from 'node:crypto';
import { AuditSinkError, type AuditSink, type AuditSinkBatch } from './audit-sink';

/** Options of {@link WebhookAuditSink}. */
export interface WebhookAuditSinkOptions {
  /** @default `webhook:<host><path>` of the URL */
  name?: string;
  /** Where batches are POSTed (JSON). */
  url: string;
  /** Key of the HMAC-SHA256 signature in `acme-audit-signature`: share it with the receiver only. */
  secret: string;
  /**
   * How long a request may take before it counts as failed (and is retried).
   * @default 10000
   */
  timeoutMs?: number;
  /** Extra request headers (an API key of the receiver, say). */
  headers?: Record<string, string>;
}

/** The header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export const AUDIT_SIGNATURE_HEADER = 'acme-audit-signature';
/** The header carrying `<workspaceId>:<firstSeq>-<lastSeq>`: the same on every retry of a batch. */
export const AUDIT_IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * POSTs each batch as JSON (`{ workspaceId, firstSeq, lastSeq, entries }`) to `url`, signed with
 * `secret` (see {@link verifyAuditWebhookSignature}) and keyed for deduplication. A 2xx answer
 * is delivery; any other status, a network error or no answer within `timeoutMs` is a failure.
 */
export class WebhookAuditSink implements AuditSink {
  readonly name: string;
  private readonly url: URL;
  private readonly timeoutMs: number;

  constructor(private readonly options: WebhookAuditSinkOptions) {
    let url: URL;
    try {
      url = new URL(options?.url);
    } catch {
      throw new AuditSinkError(`WebhookAuditSink "url" must be an absolute http(s) URL, got ${JSON.stringify(options?.url)}.`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AuditSinkError(`WebhookAuditSink "url" must be http(s), got ${url.protocol}.`);
    if (typeof options.secret !== 'string' || options.secret.length < 16) {
      throw new AuditSinkError('WebhookAuditSink "secret" must be a string of at least 16 characters (e.g. 32 random bytes, hex).');
    }
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
      throw new AuditSinkError(`WebhookAuditSink "timeoutMs" must be a positive integer, got ${JSON.stringify(timeoutMs)}.`);
    this.url = url;
    this.timeoutMs = timeoutMs;
    this.name = options.name ?? `webhook:${url.host}${url.pathname}`;
  }

  async send(batch: AuditSinkBatch): Promise<void> {
    const body = JSON.stringify({ workspaceId: batch.workspaceId, firstSeq: batch.firstSeq, lastSeq: batch.lastSeq, entries: batch.entries });
    const timestamp = Math.floor(Date.now() / 1000);
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: {
          ...this.options.headers,
          'content-type': 'application/json',
          [AUDIT_SIGNATURE_HEADER]: signAuditWebhook(this.options.secret, timestamp, body),
          [AUDIT_IDEMPOTENCY_HEADER]: `${batch.workspaceId}:${batch.firstSeq}-${batch.lastSeq}`,
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      const reason = (error as Error)?.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : String((error as Error)?.message ?? error);
      throw new AuditSinkError(`Webhook ${this.name} failed: ${reason}.`, { cause: error });
    }
    // The body is not needed: discard it so the connection is reused.
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status > 299) throw new AuditSinkError(`Webhook ${this.name} answered ${response.status}: only 2xx is delivery.`);
  }
}

/** The `acme-audit-signature` value of `body` sent at `timestamp` (unix seconds). */
export function signAuditWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * For receivers: whether `header` (the `acme-audit-signature` value) signs `body` (the raw request
 * body, as received) with `secret`, within `toleranceSeconds` of now (replays of old requests fail).
 */
export function verifyAuditWebhookSignature(secret: string, header: string | undefined | null, body: string, toleranceSeconds = 300): boolean {
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const timestamp = Number(match[1]);
  if (Math.abs(Date.now() / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signAuditWebhook(secret, timestamp, body).slice(-64), 'hex');
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}
