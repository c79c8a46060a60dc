import { describe, expect, it } from 'vitest';
import { priceOf } from '../../src/reconcile/replacement-budget.js';

describe('replacement price (district.replacementCost)', () => {
  const costs = { chromeos: 320, windows: 950, 'Lenovo 500e Yoga Chromebook Gen 4': 410 };
  it('takes the model\'s price first, in any case, then the platform\'s', () => {
    expect(priceOf(costs, 'lenovo 500E yoga chromebook gen 4', 'chromeos')).toBe(410);
    expect(priceOf(costs, 'Dell Chromebook 3110', 'chromeos')).toBe(320);
    expect(priceOf(costs, null, 'windows')).toBe(950);
  });
  it('has no price (not zero) for a device neither names', () => {
    expect(priceOf(costs, 'iPad (10th generation)', 'ios')).toBeNull();
    expect(priceOf({}, 'Dell Chromebook 3110', 'chromeos')).toBeNull();
  });
  it('keeps a configured price of zero (donated devices) as zero', () => {
    expect(priceOf({ android: 0 }, null, 'android')).toBe(0);
  });
});
