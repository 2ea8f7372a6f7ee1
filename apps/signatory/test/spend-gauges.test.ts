/**
 * The spend gauges follow the caps served now: after a reload, a late event of the previous
 * generation (a request that was signing across the reload) neither brings back a removed series nor
 * shows the old cap of one that stays.
 */
import { createMetrics } from '../src/metrics';

const PKH = 'tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb';
const TZ = 1_000_000n;

it('a late event of the previous configuration shows what the key holds under the cap served now', async () => {
  const m = createMetrics({ defaultMetrics: false });
  const gauges = async () => (await m.registry.metrics()).split('\n').filter((l) => l.startsWith('spend_window_'));
  m.spendCapsServed(
    new Map([
      [
        PKH,
        [
          { window: '1h', amount: 200n * TZ },
          { window: '24h', amount: 500n * TZ },
        ],
      ],
    ]),
  );
  m.events.spend!({
    pkh: PKH,
    windows: [
      { window: '1h', cap: 200n * TZ, spent: 10n * TZ },
      { window: '24h', cap: 500n * TZ, spent: 10n * TZ },
    ],
  });
  // a reload: 1h raised to 300 tz, 24h dropped
  m.spendCapsServed(new Map([[PKH, [{ window: '1h', amount: 300n * TZ }]]]));
  m.events.spend!({
    pkh: PKH,
    windows: [
      { window: '1h', cap: 200n * TZ, spent: 20n * TZ },
      { window: '24h', cap: 500n * TZ, spent: 20n * TZ },
    ],
  });
  expect(await gauges()).toEqual([
    `spend_window_mutez{address="${PKH}",window="1h"} 20000000`,
    `spend_window_cap_mutez{address="${PKH}",window="1h"} 300000000`,
  ]);
});
