import type { GrowthSignal } from '@acme-examples/crm-contracts';

/** Headcount change over 90 days as the view's growth signal; ±5% is 'Steady'. */
export function growthSignal(now: number, ninetyDaysAgo: number | null): GrowthSignal {
  if (ninetyDaysAgo === null || ninetyDaysAgo <= 0) return { kind: 'No Data', label: 'No headcount history yet', delta_pct: 0 };
  const delta = Math.round(((now - ninetyDaysAgo) / ninetyDaysAgo) * 1000) / 10;
  if (delta > 5) return { kind: 'Growing', label: `Headcount up ${delta}% in 90 days`, delta_pct: delta };
  if (delta < -5) return { kind: 'Shrinking', label: `Headcount down ${Math.abs(delta)}% in 90 days`, delta_pct: delta };
  return { kind: 'Steady', label: 'Headcount steady over 90 days', delta_pct: delta };
}
