import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { b58Encode, blake2b256, watermarkSlot, type ConsensusKind } from '@signatory-ts/core';
import { GO_WATERMARK_TABLE_KEY, startDynalite, type DynaliteServer } from '@signatory-ts/dev-servers';
import { DynamoWatermarkStore, signWithWatermark } from '../src';

/**
 * A fleet that mixes Go Signatory and this signer on one table (a migration, or a rollback) must
 * never sign one slot twice. Go's side is written here exactly as Go Signatory's aws backend does
 * (parity.md §1.2-1.3): the item's five attributes, digest as 32 raw bytes, and one PutItem under
 * its own condition, with no read.
 */
const CHAIN = 'NetXdQprcVkpaWU';
const PKH = 'tz1aKTCPZHZRzNBrucPp8WTiAMzaYh84NZkC';
const IDX = `${CHAIN}/${PKH}`;

let dynalite: DynaliteServer;
let client: DynamoDBClient;
let store: DynamoWatermarkStore;
let table: string;

const digest = (tag: string) => blake2b256(new TextEncoder().encode(tag));

/** Go Signatory's write: the whole item under `attribute_not_exists(idx) or lvl < … or (lvl = … and round < …)`. */
async function goPut(request: ConsensusKind, level: number, round: number, tag: string, digestAttr?: AttributeValue): Promise<boolean> {
  try {
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          idx: { S: IDX },
          request: { S: request },
          lvl: { N: String(level) },
          round: { N: String(round) },
          digest: digestAttr ?? { B: digest(tag) },
        },
        ConditionExpression: 'attribute_not_exists(idx) or lvl < :new_lvl or (lvl = :new_lvl and round < :new_round)',
        ExpressionAttributeValues: { ':new_lvl': { N: String(level) }, ':new_round': { N: String(round) } },
      }),
    );
    return true;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) return false;
    throw e;
  }
}

async function rawItem(request: string): Promise<Record<string, AttributeValue> | undefined> {
  return (
    await client.send(new GetItemCommand({ TableName: table, Key: { idx: { S: IDX }, request: { S: request } }, ConsistentRead: true }))
  ).Item;
}

/** Our signing path (check, sign, persist, release) for one request. */
const sign = (kind: ConsensusKind, level: number, round: number, tag: string, signature = `sig-${tag}`) =>
  signWithWatermark(store, watermarkSlot(CHAIN, PKH, kind), { level, round, digest: digest(tag) }, async () => signature);

beforeAll(async () => {
  dynalite = await startDynalite();
  client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynalite.endpoint,
    credentials: { accessKeyId: 'go', secretAccessKey: 'go' },
  });
});
afterAll(async () => {
  client.destroy();
  await dynalite.stop();
});
beforeEach(async () => {
  const config = { ...dynalite.storeConfig('go'), createTable: false };
  table = config.table;
  // the table as Go Signatory creates it (5/5 provisioned), before this signer ever starts
  await dynalite.createTable(table, GO_WATERMARK_TABLE_KEY, { provisioned: true });
  store = await DynamoWatermarkStore.open(config);
});
afterEach(async () => {
  await store.close();
});

describe('items Go Signatory wrote', () => {
  it('are honoured: lower and equal marks are refused, even the identical request (Go kept no signature)', async () => {
    expect(await goPut('block', 100, 2, 'go-block')).toBe(true);
    expect(await store.get(watermarkSlot(CHAIN, PKH, 'block'))).toMatchObject({ level: 100, round: 2 });
    for (const [level, round, tag] of [
      [99, 5, 'lower level'],
      [100, 1, 'lower round'],
      [100, 2, 'other bytes'],
      [100, 2, 'go-block'],
    ] as const) {
      expect(await sign('block', level, round, tag)).toMatchObject({ status: 'rejected', stored: { level: 100, round: 2 } });
    }
    expect(await sign('block', 100, 3, 'higher round')).toEqual({ status: 'signed', signature: 'sig-higher round' });
  });

  it('are read with a vh… string digest too (the form Go documents)', async () => {
    expect(await goPut('preattestation', 7, 0, '', { S: b58Encode('vh', digest('pre')) })).toBe(true);
    const got = await store.get(watermarkSlot(CHAIN, PKH, 'preattestation'));
    expect(Buffer.from(got!.digest!)).toEqual(Buffer.from(digest('pre')));
    expect((await sign('preattestation', 7, 0, 'pre')).status).toBe('rejected');
  });

  it('a Go attestation_with_dal item holds our attestation slot (and the other way round)', async () => {
    expect(await goPut('attestation_with_dal', 50, 0, 'go-dal')).toBe(true);
    expect((await sign('attestation', 50, 0, 'ts-plain')).status).toBe('rejected');
    expect((await sign('attestation_with_dal', 50, 0, 'ts-dal')).status).toBe('rejected');
    // ours at 51: Go may sign neither kind at 51 any more
    expect(await sign('attestation', 51, 0, 'ts-plain-51')).toMatchObject({ status: 'signed' });
    expect(await goPut('attestation', 51, 0, 'go-plain-51')).toBe(false);
    expect(await goPut('attestation_with_dal', 51, 0, 'go-dal-51')).toBe(false);
  });

  it('a corrupt item (lvl written as a string) stops signing for the slot with an error, never a fresh start', async () => {
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { idx: { S: IDX }, request: { S: 'block' }, lvl: { S: '100' }, round: { N: '0' }, digest: { B: digest('x') } },
      }),
    );
    await expect(sign('block', 101, 0, 'after-corruption')).rejects.toThrow(/item .*block: lvl must be a number/);
  });
});

describe('after our commit, Go Signatory on the same table', () => {
  it.each([['block'], ['preattestation'], ['attestation'], ['attestation_with_dal']] as const)(
    'cannot write %s at the same level and round, and can at a higher round',
    async (kind) => {
      expect(await sign(kind, 200, 1, 'ours')).toMatchObject({ status: 'signed' });
      expect(await goPut(kind, 200, 1, 'go-same')).toBe(false);
      expect(await goPut(kind, 200, 1, 'ours')).toBe(false);
      expect(await goPut(kind, 200, 0, 'go-lower')).toBe(false);
      expect(await goPut(kind, 200, 2, 'go-higher')).toBe(true);
    },
  );

  it('sees items with the attributes and types it writes: lvl and round N, digest B(32), plus our signature', async () => {
    await sign('attestation_with_dal', 300, 4, 'typed', 'sig-typed');
    for (const request of ['attestation', 'attestation_with_dal']) {
      expect(await rawItem(request)).toEqual({
        idx: { S: IDX },
        request: { S: request },
        lvl: { N: '300' },
        round: { N: '4' },
        digest: { B: expect.any(Uint8Array) },
        signature: { S: 'sig-typed' },
      });
      expect(Buffer.from((await rawItem(request))!.digest!.B!)).toEqual(Buffer.from(digest('typed')));
    }
  });
});

describe('half-written attestation slots (parity.md §6)', () => {
  /** What a writer that died after its first put leaves: our attestation item only. */
  async function firstPutOnly(level: number, round: number, tag: string, signature: string) {
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          idx: { S: IDX },
          request: { S: 'attestation' },
          lvl: { N: String(level) },
          round: { N: String(round) },
          digest: { B: digest(tag) },
          signature: { S: signature },
        },
      }),
    );
  }

  it('an identical retry finishes the slot and gets the first signature; Go can then sign neither kind', async () => {
    await goPut('attestation_with_dal', 9, 0, 'old');
    await firstPutOnly(10, 0, 'att', 'sig-first');
    expect(await sign('attestation_with_dal', 10, 0, 'att', 'sig-second')).toEqual({ status: 'replay', signature: 'sig-first' });
    expect(await rawItem('attestation_with_dal')).toMatchObject({ lvl: { N: '10' }, signature: { S: 'sig-first' } });
    expect(await goPut('attestation_with_dal', 10, 0, 'go-dal')).toBe(false);
  });

  it('other bytes at that level and round are refused, and the slot is finished all the same', async () => {
    await firstPutOnly(10, 0, 'att', 'sig-first');
    expect((await sign('attestation', 10, 0, 'different')).status).toBe('rejected');
    expect(await rawItem('attestation_with_dal')).toMatchObject({ lvl: { N: '10' }, round: { N: '0' } });
  });

  it('when Go signed the other kind in between, nothing is replayed: the identical retry is refused', async () => {
    await firstPutOnly(10, 0, 'att', 'sig-first');
    expect(await goPut('attestation_with_dal', 10, 0, 'go-dal')).toBe(true);
    expect((await sign('attestation', 10, 0, 'att')).status).toBe('rejected');
    expect((await sign('attestation_with_dal', 10, 0, 'go-dal')).status).toBe('rejected');
  });

  it('a commit whose second put loses to Go releases nothing (a lost round, never two signatures)', async () => {
    expect(await goPut('attestation_with_dal', 20, 0, 'go-dal')).toBe(true);
    const slot = watermarkSlot(CHAIN, PKH, 'attestation');
    // straight to commit, as if our read came before Go's write
    const r = await store.commit(slot, { level: 20, round: 0, digest: digest('ts-plain'), signature: 'sig-ts' });
    expect(r).toMatchObject({ status: 'rejected', stored: { level: 20, round: 0 } });
    expect(await rawItem('attestation')).toMatchObject({ lvl: { N: '20' }, signature: { S: 'sig-ts' } });
    // and the retry of our request is refused too: the slot is not whole
    expect((await sign('attestation', 20, 0, 'ts-plain')).status).toBe('rejected');
  });

  it('a half-written slot whose later item is ahead is not rolled back or forward', async () => {
    await firstPutOnly(10, 0, 'att', 'sig-first');
    await goPut('attestation_with_dal', 12, 0, 'go-dal-12');
    expect(await store.get(watermarkSlot(CHAIN, PKH, 'attestation'))).toEqual({ level: 12, round: 0, digest: digest('go-dal-12') });
    expect(await rawItem('attestation')).toMatchObject({ lvl: { N: '10' } });
  });
});

describe('list and reset on a shared table', () => {
  it("lists Go's items by our slots (attestation_with_dal in the attestation slot, highest mark) and resets both items of a slot", async () => {
    await goPut('block', 40, 1, 'go-block');
    await goPut('attestation', 41, 0, 'go-att');
    await goPut('attestation_with_dal', 42, 0, 'go-dal');
    const listed: [string, number, number, string | undefined][] = [];
    for await (const [slot, mark] of store.list()) {
      expect([slot.chainId, slot.pkh]).toEqual([CHAIN, PKH]);
      listed.push([slot.kind, mark.level, mark.round, mark.signature]);
    }
    expect(listed.sort()).toEqual([
      ['attestation', 42, 0, undefined],
      ['block', 40, 1, undefined],
    ]);
    expect(await store.reset(watermarkSlot(CHAIN, PKH, 'attestation'))).toBe(true);
    expect(await rawItem('attestation')).toBeUndefined();
    expect(await rawItem('attestation_with_dal')).toBeUndefined();
    expect(await rawItem('block')).toBeDefined();
    expect(await store.reset(watermarkSlot(CHAIN, PKH, 'attestation'))).toBe(false);
  });
});
