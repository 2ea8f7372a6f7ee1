import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { b58Decode, blake2b256, watermarkSlot } from '@signatory-ts/core';
import { FileWatermarkStore, WatermarkFileError } from '../src';

const CHAIN = 'NetXo5iVw1vBoxM';
const PKH = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
const C1 = 'vh2QmrcNURnrNwT5HEJv6ZA8n2gfw1MzThoBHK7dgyJsjHmVJhvj';

let base: string;
let store: FileWatermarkStore;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'wm-format-'));
  store = new FileWatermarkStore({ baseDir: base });
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const file = () => path.join(base, 'watermark_v2', `${CHAIN}.json`);
const writeRaw = (text: string) => {
  mkdirSync(path.join(base, 'watermark_v2'), { recursive: true });
  writeFileSync(file(), text);
};
const digest = (s: string) => blake2b256(new TextEncoder().encode(s));

// The shape Go Signatory's file backend writes (integration test state after C1..C3 on NetXo5iVw1vBoxM):
// sorted keys, four-space indent, no trailing newline, no signature field.
const GO_FILE = `{
    "${PKH}": {
        "attestation": {
            "level": 34,
            "round": 4,
            "hash": "vh2UEcdXfsAWcTP1omYSp1q54H5S2x3zqfr2YqAcZ2Neyjauix1K"
        },
        "block": {
            "level": 34,
            "round": 4,
            "hash": "${C1}"
        },
        "preattestation": {
            "level": 34,
            "round": 4,
            "hash": "vh1mTiEJuJiyimZf5sctgbnHBTLFthMVRNbiViYpLDMGK79TzUwB"
        }
    }
}`;

describe('file store and Go Signatory files', () => {
  it('reads a file Go Signatory wrote: level, round and the vh hash as the digest', async () => {
    writeRaw(GO_FILE);
    const m = await store.get(watermarkSlot(CHAIN, PKH, 'block'));
    expect(m).toMatchObject({ level: 34, round: 4, signature: undefined });
    expect(Buffer.from(m!.digest!)).toEqual(Buffer.from(b58Decode(C1, ['vh']).payload));
    expect(await store.get(watermarkSlot(CHAIN, PKH, 'preattestation'))).toMatchObject({ level: 34, round: 4 });
  });

  // hashes are decoded once and kept (every read checks every entry); what a read hands out is a copy
  it('reads the same digest again after a caller changed the one it was given, and still refuses a hash with a bad checksum', async () => {
    writeRaw(GO_FILE);
    const slot = watermarkSlot(CHAIN, PKH, 'block');
    const first = (await store.get(slot))!.digest!;
    first.fill(0);
    expect(Buffer.from((await store.get(slot))!.digest!)).toEqual(Buffer.from(b58Decode(C1, ['vh']).payload));
    writeRaw(GO_FILE.replace(C1, `${C1.slice(0, -1)}X`));
    await expect(store.get(slot)).rejects.toThrow(WatermarkFileError);
  });

  it('refuses identical bytes over a Go-written mark (no signature kept to replay) and accepts a higher round', async () => {
    writeRaw(GO_FILE);
    const slot = watermarkSlot(CHAIN, PKH, 'block');
    const same = { level: 34, round: 4, digest: b58Decode(C1, ['vh']).payload, signature: 'x' };
    expect((await store.commit(slot, same)).status).toBe('rejected');
    expect(await store.commit(slot, { ...same, round: 5 })).toEqual({ status: 'committed' });
  });

  it('writes the Go layout (sorted, four-space indent, no trailing newline) plus the signature, keeping other entries', async () => {
    writeRaw(GO_FILE);
    await store.commit(watermarkSlot(CHAIN, PKH, 'block'), { level: 35, round: 0, digest: digest('b35'), signature: 'sigB35' });
    const text = readFileSync(file(), 'utf8');
    expect(text.endsWith('}')).toBe(true);
    const want = JSON.parse(GO_FILE);
    want[PKH].block = { level: 35, round: 0, hash: expect.stringMatching(/^vh/), signature: 'sigB35' };
    expect(JSON.parse(text)).toEqual(want);
    expect(text).toBe(JSON.stringify(JSON.parse(text), null, 4));
    expect(text.indexOf('"attestation"')).toBeLessThan(text.indexOf('"block"'));
  });

  it('accepts hash null (legacy entries) as a mark without digest', async () => {
    writeRaw(JSON.stringify({ [PKH]: { block: { level: 3, round: 1, hash: null } } }));
    expect(await store.get(watermarkSlot(CHAIN, PKH, 'block'))).toEqual({ level: 3, round: 1, digest: undefined, signature: undefined });
  });

  it('reads a Go attestation_with_dal entry into the attestation slot, taking the higher mark', async () => {
    writeRaw(
      JSON.stringify({
        [PKH]: { attestation: { level: 10, round: 0, hash: null }, attestation_with_dal: { level: 12, round: 1, hash: null } },
      }),
    );
    const slot = watermarkSlot(CHAIN, PKH, 'attestation');
    expect(await store.get(slot)).toMatchObject({ level: 12, round: 1 });
    expect((await store.commit(slot, { level: 11, round: 0, digest: digest('a'), signature: 's' })).status).toBe('rejected');
  });

  it('raises a Go attestation_with_dal entry along with the attestation slot (a downgrade stays protected)', async () => {
    writeRaw(JSON.stringify({ [PKH]: { attestation_with_dal: { level: 12, round: 1, hash: null } } }));
    await store.commit(watermarkSlot(CHAIN, PKH, 'attestation'), { level: 13, round: 0, digest: digest('a'), signature: 's' });
    const data = JSON.parse(readFileSync(file(), 'utf8'));
    expect(data[PKH].attestation).toMatchObject({ level: 13, round: 0 });
    expect(data[PKH].attestation_with_dal).toMatchObject({ level: 13, round: 0 });
  });

  it('counts migrated endorsement/preendorsement entries as attestation/preattestation', async () => {
    writeRaw(
      JSON.stringify({ [PKH]: { endorsement: { level: 40, round: 0, hash: null }, preendorsement: { level: 41, round: 0, hash: null } } }),
    );
    expect(await store.get(watermarkSlot(CHAIN, PKH, 'attestation'))).toMatchObject({ level: 40 });
    expect(await store.get(watermarkSlot(CHAIN, PKH, 'preattestation'))).toMatchObject({ level: 41 });
  });

  it('leaves no temporary files behind and creates the directory on first commit', async () => {
    for (let l = 1; l <= 5; l++) {
      await store.commit(watermarkSlot(CHAIN, PKH, 'block'), { level: l, round: 0, digest: digest(`${l}`), signature: `s${l}` });
    }
    expect(readdirSync(path.join(base, 'watermark_v2')).sort()).toEqual([`${CHAIN}.json`, `${CHAIN}.json.ofd-lock`]); // the lock file stays
  });

  it('a base_dir under /proc fails the commit with an error instead of hanging the process (recursive mkdir loops there)', async () => {
    const proc = new FileWatermarkStore({ baseDir: '/proc/signatory-test' });
    await expect(
      proc.commit(watermarkSlot(CHAIN, PKH, 'block'), { level: 1, round: 0, digest: digest('x'), signature: 's' }),
    ).rejects.toThrow(/ENOENT/);
  });

  it('creates a missing base_dir, parents included', async () => {
    const nested = new FileWatermarkStore({ baseDir: path.join(base, 'a', 'b') });
    await nested.commit(watermarkSlot(CHAIN, PKH, 'block'), { level: 1, round: 0, digest: digest('x'), signature: 's' });
    expect(readdirSync(path.join(base, 'a', 'b', 'watermark_v2')).sort()).toEqual([`${CHAIN}.json`, `${CHAIN}.json.ofd-lock`]);
  });

  it('refuses a chain id that is not a Net… base58 id (it would become a file name)', async () => {
    await expect(store.get({ chainId: '../evil', pkh: PKH, kind: 'block' })).rejects.toThrow(/invalid chain id/);
  });

  it('refuses a key hash that is not tz1..tz4 (it would become a JSON key)', async () => {
    const bad = { chainId: CHAIN, pkh: '__proto__', kind: 'block' } as const;
    await expect(store.commit(bad, { level: 1, round: 0, digest: digest('x'), signature: 's' })).rejects.toThrow(/invalid key hash/);
  });
});

describe('file store refuses damaged files and changes nothing', () => {
  it.each([
    ['an empty file', '', /the file is empty/],
    ['a truncated file', GO_FILE.slice(0, 120), /not valid JSON/],
    ['a JSON array', '[]', /top level must be an object/],
    ['a pkh that is not an object', `{"${PKH}": 5}`, /must be an object of request kinds/],
    ['a negative level', `{"${PKH}": {"block": {"level": -1, "round": 0, "hash": null}}}`, /level: must be a non-negative integer/],
    ['a missing round', `{"${PKH}": {"block": {"level": 1, "hash": null}}}`, /round: must be a non-negative integer/],
    ['a fractional level', `{"${PKH}": {"block": {"level": 1.5, "round": 0, "hash": null}}}`, /level: must be a non-negative integer/],
    [
      'a bad hash',
      `{"${PKH}": {"block": {"level": 1, "round": 0, "hash": "vh2QmrcNURnrNwT5HEJv6ZA8n2gfw1MzThoBHK7dgyJsjHmVJhvX"}}}`,
      /hash/,
    ],
    [
      'a non-string signature',
      `{"${PKH}": {"block": {"level": 1, "round": 0, "hash": null, "signature": 7}}}`,
      /signature: must be a string/,
    ],
    [
      'a slot written twice (a high mark, then a low one JSON.parse would keep)',
      `{"${PKH}": {"block": {"level": 999, "round": 0, "hash": null}, "block": {"level": 1, "round": 0, "hash": null}}}`,
      /key "block" appears twice in tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf/,
    ],
    [
      'a key hash written twice',
      `{"${PKH}": {"block": {"level": 999, "round": 0, "hash": null}}, "${PKH}": {"block": {"level": 1, "round": 0, "hash": null}}}`,
      /key "tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf" appears twice at the top level/,
    ],
    [
      'a level written twice, the second time escaped',
      `{"${PKH}": {"block": {"level": 999, "round": 0, "hash": null, "\\u006cevel": 1}}}`,
      /key "level" appears twice in tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf.block/,
    ],
  ])('%s', async (_what, text, why) => {
    writeRaw(text);
    const slot = watermarkSlot(CHAIN, PKH, 'block');
    const err = await store.commit(slot, { level: 99, round: 0, digest: digest('x'), signature: 's' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WatermarkFileError);
    expect((err as WatermarkFileError).code).toBe('internal');
    expect((err as Error).message).toMatch(why);
    expect((err as Error).message).toMatch(/Nothing was signed/);
    await expect(store.get(slot)).rejects.toBeInstanceOf(WatermarkFileError);
    expect(readFileSync(file(), 'utf8')).toBe(text);
  });
});
