import { LocalForger } from '@taquito/local-forging';
import { OpKind } from '@taquito/rpc';
import { fromHex, toHex } from '@signatory-ts/core';

/**
 * Sign-request builders for tests, from the Tezos layouts (docs/payloads.md): a block (0x11) and
 * consensus operations (0x12 / 0x13) at any level and round. `salt` varies the payload hash, so two
 * requests at one (level, round) differ (a double bake / double attestation).
 */
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b.toString('hex');
};
const fill = (byte: number, n = 32) => byte.toString(16).padStart(2, '0').repeat(n);

/** NetXo5iVw1vBoxM, the chain of Go Signatory's watermark integration tests. */
export const CHAIN = 'b3d79f99';

export function block(level: number, round: number, salt = 0, chain = CHAIN): string {
  const fitness = '00000001' + '02' + '00000004' + u32(level) + '00000000' + '00000004' + u32(-1) + '00000004' + u32(round);
  return (
    '11' +
    chain +
    u32(level) +
    '01' + // proto
    fill(0x11) + // predecessor
    '0000000065000000' + // timestamp
    '04' + // validation passes
    fill(0x22) + // operations hash
    u32(fitness.length / 2) +
    fitness +
    fill(0x33) + // context
    fill(0x40 + salt) + // payload hash
    u32(round) + // payload round
    fill(0x55, 8) + // proof of work nonce
    '00' + // no seed nonce hash
    '00' // per-block votes
  );
}

/** tag 20 (preattestation, magic 0x12) or 21 (attestation, magic 0x13); slot 0. */
export function consensus(kind: 'preattestation' | 'attestation', level: number, round: number, salt = 0, chain = CHAIN): string {
  const [magic, tag] = kind === 'preattestation' ? ['12', '14'] : ['13', '15'];
  return magic + chain + fill(0x66) + tag + '0000' + u32(level) + u32(round) + fill(0x40 + salt);
}

/** Go Signatory's C2 (watermark_test.go): preattestation, level 34, round 4, for tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf. */
export const C2 =
  '12b3d79f993222f293d2f293230ec36b0bef1caead619f1a7206ff54a0c198f07ae25bb151140014000000220000000458335430566f4b95401c110f33e74d3a324f83ad6003ed9d5e93ce617fa11e44';

/** A single transaction (forged with @taquito/local-forging, branch = genesis). */
export const TRANSACTION =
  '038fcf233671b6a04fcf679d2a381c2544ea6c1ea29ba6157776ed8424c7ccd00b6c02e9eef147a9399f12f73e7849c56de3d7b4d5edf9f40302c00c00c0843d00004cbddc4b0180973d51a3665ca42970da24a7a23c00';

export const hexToBytes = fromHex;
export const bytesToHex = toHex;

/**
 * A generic request (0x03) of one transaction of `amount` mutez from `source` to a fixed tz1 with a 1000 mutez
 * fee and no storage (so it spends amount + 1000), forged by Taquito; `counter` varies the bytes.
 */
export async function transfer(source: string, amount: bigint | string, counter = 1): Promise<string> {
  const forged = await new LocalForger().forge({
    branch: 'BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2',
    contents: [
      {
        kind: OpKind.TRANSACTION,
        source,
        fee: '1000',
        counter: String(counter),
        gas_limit: '2000',
        storage_limit: '0',
        amount: String(amount),
        destination: 'tz1KuxKxPSnwLiTqZ37LRw6AXUt553ouPvEY',
      },
    ],
  });
  return '03' + forged;
}
