import type { Currency } from '@acme-examples/crm-contracts';

const formatters = new Map<string, Intl.NumberFormat>();

/** 48000, 'EUR' -> '€48,000': the label is built here so no client formats money differently. */
export function moneyLabel(amount: number, currency: Currency): string {
  let format = formatters.get(currency);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 0 });
    formatters.set(currency, format);
  }
  return format.format(amount);
}
