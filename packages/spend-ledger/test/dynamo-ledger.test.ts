import { GO_WATERMARK_TABLE_KEY, startDynalite, startDynamoFaultProxy, type DynaliteServer } from '@signatory-ts/dev-servers';
import { DynamoSpendLedger, openSpendLedger } from '../src';
import { CAPS, describeSpendLedger, KEY, T0, TZ } from './ledger-conformance';

let dynalite: DynaliteServer;

beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite.stop();
});

// a fresh table per test; reopen: another instance (a restart, or a replica) on the same table
describeSpendLedger('DynamoSpendLedger', {
  open: () => DynamoSpendLedger.open(dynalite.storeConfig('ledger')),
  reopen: (ledger) => DynamoSpendLedger.open({ ...dynalite.storeConfig('ledger'), table: (ledger as DynamoSpendLedger).table }),
});

describe('DynamoSpendLedger', () => {
  it('three replicas, 60 concurrent reservations over three keys: no key ever exceeds its cap', async () => {
    const config = dynalite.storeConfig('replicas');
    const replicas = [await DynamoSpendLedger.open(config)];
    replicas.push(await DynamoSpendLedger.open(config), await DynamoSpendLedger.open(config));
    const keys = [KEY, 'tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK', 'tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q'];
    try {
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          replicas[i % 3]!.reserve(keys[i % keys.length]!, 45n * TZ, CAPS, T0 + i).then((r) => ({ key: keys[i % keys.length]!, r })),
        ),
      );
      for (const key of keys) {
        const won = results.filter((x) => x.key === key && x.r.ok);
        expect(won).toHaveLength(4); // 4 × 45 = 180 tz; a 5th would make 225
        expect((await replicas[2]!.show(key, CAPS, T0 + 100))[0]!.spent).toBe(180n * TZ);
      }
    } finally {
      for (const r of replicas) await r.close();
    }
  });

  it('a store outage refuses (throws, naming the table), records nothing, and works again when the store is back', async () => {
    // the emulator's default timeout: the outage refuses connections at once, and the calls that must succeed get time
    const ledger = await DynamoSpendLedger.open(dynalite.storeConfig('outage'));
    try {
      expect((await ledger.reserve(KEY, 100n * TZ, CAPS, T0)).ok).toBe(true);
      await dynalite.pause();
      try {
        await expect(ledger.reserve(KEY, TZ, CAPS, T0 + 1)).rejects.toMatchObject({
          code: 'internal',
          message: expect.stringMatching(
            /^spend ledger aws: GetItem on DynamoDB table "outage-\d+" at http:\/\/127\.0\.0\.1:\d+ failed \(.+\); nothing was reserved or signed$/,
          ),
        });
        await expect(ledger.show(KEY, CAPS, T0 + 1)).rejects.toMatchObject({ code: 'internal' });
      } finally {
        await dynalite.resume();
      }
      expect((await ledger.show(KEY, CAPS, T0 + 2))[0]!.spent).toBe(100n * TZ);
      expect((await ledger.reserve(KEY, 100n * TZ, CAPS, T0 + 3)).ok).toBe(true);
    } finally {
      await ledger.close();
    }
  });

  it('a reservation written whose answer is lost: nothing signed, the reservation found and given back, the message says so', async () => {
    const proxy = await startDynamoFaultProxy(dynalite.endpoint);
    const ledger = await DynamoSpendLedger.open({ ...dynalite.storeConfig('lost'), endpoint: proxy.endpoint, timeoutMs: 3000 });
    try {
      let lost = 0;
      proxy.fault = (op) => (op === 'PutItem' && lost++ === 0 ? 'lose-answer' : undefined); // the reservation's answer only
      const err = await ledger.reserve(KEY, 7n * TZ, CAPS, T0).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toMatch(
        /PutItem on .* failed \(no answer within 3000 ms\); the write may still have been applied\. Nothing was signed on that reservation; it had been written and was given back$/,
      );
      expect((await ledger.show(KEY, CAPS, T0))[0]!.spent).toBe(0n);
      // lost again while giving it back: it is said to count, and it does (the safe side)
      proxy.fault = (op) => (op === 'PutItem' ? 'lose-answer' : undefined);
      const again = await ledger.reserve(KEY, 5n * TZ, CAPS, T0 + 1).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(again?.message).toMatch(
        /whether it was written is unknown \(giving it back failed too: .*\); if it was, it counts until its window passes$/,
      );
      proxy.fault = () => undefined;
      expect((await ledger.show(KEY, CAPS, T0 + 1))[0]!.spent).toBe(0n); // both writes landed: reserved, then given back
    } finally {
      await ledger.close();
      await proxy.stop();
    }
  });

  it('a write refused by the store (throttled, denied) refuses the reservation', async () => {
    const proxy = await startDynamoFaultProxy(dynalite.endpoint);
    const ledger = await DynamoSpendLedger.open({ ...dynalite.storeConfig('denied'), endpoint: proxy.endpoint });
    try {
      proxy.fault = (op) =>
        op === 'PutItem' ? { status: 400, type: 'AccessDeniedException', message: 'not allowed to PutItem' } : undefined;
      await expect(ledger.reserve(KEY, TZ, CAPS, T0)).rejects.toMatchObject({
        message: /PutItem on .* failed \(AccessDeniedException: not allowed to PutItem\)/,
      });
      proxy.fault = () => undefined;
      expect((await ledger.show(KEY, CAPS, T0))[0]!.spent).toBe(0n);
    } finally {
      await ledger.close();
      await proxy.stop();
    }
  });

  it('a table of another shape, or a missing table with create_table off, stops the start with what to do', async () => {
    const watermarks = dynalite.storeConfig('watermarks');
    await dynalite.createTable(watermarks.table, GO_WATERMARK_TABLE_KEY);
    await expect(DynamoSpendLedger.open(watermarks)).rejects.toMatchObject({
      code: 'config_invalid',
      message: /its key is not pkh \(HASH, S\)/,
    });
    await expect(DynamoSpendLedger.open({ ...dynalite.storeConfig('missing'), createTable: false })).rejects.toMatchObject({
      code: 'config_invalid',
      message: /does not exist: create it \(key pkh HASH S; see docs\/policy\.md\) or set watermark\.config\.create_table: true/,
    });
  });

  it('openSpendLedger uses the watermark table name plus _spend, created at start-up, with the watermark connection', async () => {
    const logs: string[] = [];
    const config = dynalite.storeConfig('wm');
    const { table } = config;
    const ledger = await openSpendLedger({ baseDir: '/nonexistent', watermark: { driver: 'aws', config } }, { log: (m) => logs.push(m) });
    try {
      expect(ledger).toBeInstanceOf(DynamoSpendLedger);
      expect((ledger as DynamoSpendLedger).table).toBe(`${table}_spend`);
      expect(logs).toEqual([`DynamoDB spend ledger created table '${table}_spend'`]);
    } finally {
      await ledger.close();
    }
  });
});
