import { getToken, makeCounterProvider } from '@willsoto/nestjs-prometheus';

export const LOGIN_THROTTLED = 'login_throttled_total';
export const LOGIN_THROTTLE_ERRORS = 'login_throttle_errors_total';

export const loginThrottleMetrics = [
  makeCounterProvider({ name: LOGIN_THROTTLED, help: 'Sign-in attempts refused with 429, by the limit that refused them', labelNames: ['limit'] }),
  makeCounterProvider({ name: LOGIN_THROTTLE_ERRORS, help: 'Sign-in attempts refused with 503 because Redis could not count them' }),
];

/** The counters' injection tokens (for a module's exports). */
export const loginThrottleMetricTokens = [LOGIN_THROTTLED, LOGIN_THROTTLE_ERRORS].map(getToken);
