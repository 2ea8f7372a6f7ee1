import { startDynalite, type DynaliteServer } from '@signatory-ts/dev-servers';
import { blake2b256, watermarkSlot } from '@signatory-ts/core';
import { DynamoWatermarkStore } from '../src';
import { describeWatermarkStore } from './store-conformance';

let dynalite: DynaliteServer;

beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite.stop();
});

// a fresh table per test: an empty store
describeWatermarkStore('DynamoWatermarkStore', () => DynamoWatermarkStore.open(dynalite.storeConfig('conformance')));

describe('DynamoWatermarkStore: several signers on one table', () => {
  const CHAIN = 'NetXdQprcVkpaWU';
  const PKH = 'tz1aKTCPZHZRzNBrucPp8WTiAMzaYh84NZkC';
  let stores: DynamoWatermarkStore[];

  beforeEach(async () => {
    const config = dynalite.storeConfig('replicas');
    stores = [await DynamoWatermarkStore.open(config)];
    stores.push(await DynamoWatermarkStore.open(config), await DynamoWatermarkStore.open(config));
  });
  afterEach(async () => {
    for (const s of stores) await s.close();
  });

  it.each(['block', 'attestation_with_dal'] as const)(
    '%s: 30 identical requests over three instances, each with its own (ECDSA-like) signature, all release one signature',
    async (kind) => {
      const slot = watermarkSlot(CHAIN, PKH, kind);
      const next = { level: 70, round: 1, digest: blake2b256(new TextEncoder().encode('same bytes')) };
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          stores[i % 3]!.commit(slot, { ...next, signature: `sig-${i}` }).then((r) =>
            r.status === 'rejected' ? 'rejected' : r.status === 'replay' ? r.signature : `sig-${i}`,
          ),
        ),
      );
      expect(new Set(results).size).toBe(1);
      expect(results[0]).toMatch(/^sig-\d+$/);
      expect(await stores[1]!.get(slot)).toMatchObject({ level: 70, round: 1, signature: results[0] });
    },
  );

  it.each(['preattestation', 'attestation'] as const)(
    '%s: 30 different requests at one level and round over three instances, one commits',
    async (kind) => {
      const slot = watermarkSlot(CHAIN, PKH, kind);
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          stores[i % 3]!.commit(slot, {
            level: 80,
            round: 0,
            digest: blake2b256(new TextEncoder().encode(`bytes ${i}`)),
            signature: `sig-${i}`,
          }),
        ),
      );
      const committed = results.flatMap((r, i) => (r.status === 'committed' ? [i] : []));
      expect(committed).toHaveLength(1);
      expect(results.filter((r) => r.status === 'replay')).toEqual([]);
      expect(await stores[2]!.get(slot)).toMatchObject({ level: 80, signature: `sig-${committed[0]}` });
    },
  );
});
