import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { b58Encode, fromHex, parseSecretKey, secretKeyPublicKey, encodePublicKey } from '@signatory-ts/core';
import { verifySignature } from '@taquito/utils';
import { block, consensus } from './payloads';
import { failure, startHarness, VAULT_YAML, type Harness } from './harness';
import { W, W_SK } from './keys';

const P_SK = 'p2sk2rUMnnnFPQCB7DBozkCZrFhiZ87ddrpAHbRcww7dwU2WHYUbci';
const P = 'tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK';
const P_PK = encodePublicKey(secretKeyPublicKey(parseSecretKey(P_SK)));

const YAML = `${VAULT_YAML}
tezos:
  ${W}:
    allow: {block: , preattestation: , attestation: }
  ${P}:
    allow: {block: , preattestation: , attestation: }
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ yaml: YAML, keys: [{ secret: W_SK }, { secret: P_SK }] });
});
afterAll(() => h.close());

/** A chain of its own for each scenario, so slots do not carry over between them. */
let nextChain = 0x10000000;
const freshChain = () => (nextChain++).toString(16).padStart(8, '0');
const chainName = (hex: string) => b58Encode('Net', fromHex(hex));

async function statuses(pkh: string, payloads: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const p of payloads) out.push((await h.post(pkh, `"${p}"`)).status);
  return out;
}

describe("Go Signatory's watermark scenarios (watermark_test.go) give the same status sequences", () => {
  it('A1 then A2 (another block, same level and round) -> 200, 409', async () => {
    const c = freshChain();
    expect(await statuses(W, [block(2, 0, 0, c), block(2, 0, 1, c)])).toEqual([200, 409]);
  });
  it('stored block {6,0}, then B1 and B2 at {7,2} -> 200, 409', async () => {
    const c = freshChain();
    expect(await statuses(W, [block(6, 0, 0, c), block(7, 2, 0, c), block(7, 2, 1, c)])).toEqual([200, 200, 409]);
  });
  it('A1 twice -> 200, 200 with the same signature', async () => {
    const c = freshChain();
    const a = await h.post(W, `"${block(2, 0, 0, c)}"`);
    const b = await h.post(W, `"${block(2, 0, 0, c)}"`);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.text).toBe(a.text);
  });
  it.each([
    [6, 3, 200],
    [8, 1, 409],
    [7, 3, 409],
  ])('stored {%i,%i}, then B1 at {7,2} -> %i', async (level, round, want) => {
    const c = freshChain();
    expect(await statuses(W, [block(level, round, 5, c), block(7, 2, 0, c)])).toEqual([200, want]);
  });
  it.each([
    ['block', 'preattestation', 'attestation'],
    ['attestation', 'preattestation', 'block'],
    ['preattestation', 'attestation', 'block'],
  ] as const)('C1, C2, C3 in the order %s, %s, %s after stored {33,2} -> all 200, three slots in the file', async (...order) => {
    const c = freshChain();
    const at = (kind: 'block' | 'preattestation' | 'attestation', level: number, round: number) =>
      kind === 'block' ? block(level, round, 0, c) : consensus(kind, level, round, 0, c);
    expect(await statuses(W, [at('block', 33, 2), at('preattestation', 33, 2), at('attestation', 33, 2)])).toEqual([200, 200, 200]);
    expect(
      await statuses(
        W,
        order.map((k) => at(k, 34, 4)),
      ),
    ).toEqual([200, 200, 200]);
    const file = JSON.parse(await readFile(path.join(h.baseDir, 'watermark_v2', `${chainName(c)}.json`), 'utf8'));
    expect(Object.keys(file[W]).sort()).toEqual(['attestation', 'block', 'preattestation']);
    for (const k of ['attestation', 'block', 'preattestation']) expect(file[W][k]).toMatchObject({ level: 34, round: 4 });
  });
  it('a refusal has the Signatory body', async () => {
    const c = freshChain();
    await h.post(W, `"${block(3, 0, 0, c)}"`);
    expect((await h.post(W, `"${block(2, 9, 0, c)}"`)).text).toBe(failure('watermark validation failed'));
  });
});

describe('concurrent requests for one slot (tz3: KMS ECDSA signatures are randomized)', () => {
  it('50 conflicting requests for one (level, round) release exactly one signature', async () => {
    const c = freshChain();
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => h.post(P, `"${block(100, 0, i, c)}"`)));
    const ok = rs.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(rs.filter((r) => r.status === 409)).toHaveLength(49);
    const winner = rs.indexOf(ok[0]!);
    expect(verifySignature(block(100, 0, winner, c), P_PK, JSON.parse(ok[0]!.text).signature)).toBe(true);
  });
  it('50 identical concurrent requests all get the one same signature', async () => {
    const c = freshChain();
    const rs = await Promise.all(Array.from({ length: 50 }, () => h.post(P, `"${consensus('attestation', 200, 1, 0, c)}"`)));
    expect(rs.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(rs.map((r) => r.text)).size).toBe(1);
    expect(verifySignature(consensus('attestation', 200, 1, 0, c), P_PK, JSON.parse(rs[0]!.text).signature)).toBe(true);
  });
});

describe('metrics after the run above', () => {
  it('carry Signatory names and labels with counts that match what was served', async () => {
    const reg = h.deps.metrics.registry;
    const byName = async (n: string) => (await reg.getMetricsAsJSON()).find((m) => m.name === n)!.values;
    const requests = await byName('sign_handler_requests_total');
    const count = (pkh: string, status: string) => requests.find((v) => v.labels.address === pkh && v.labels.status === status)?.value ?? 0;
    expect(count(P, '409')).toBe(49);
    expect(count(P, '200')).toBe(51);
    const rejections = await byName('watermark_rejection_total');
    expect(rejections.filter((v) => v.labels.address === P).reduce((a, v) => a + v.value, 0)).toBe(49);
    const errors = await byName('vault_sign_request_error_total');
    expect(errors.some((v) => v.labels.code === '409' && v.labels.vault === 'AWSKMS')).toBe(true);
    const ops = await byName('signing_ops_total');
    expect(ops.find((v) => v.labels.address === P && v.labels.op === 'attestation')?.value).toBe(50);
    const text = await reg.metrics();
    expect(text).toMatch(/sign_handler_request_duration_milliseconds_bucket\{le="10",address="tz3/);
    expect(text).toMatch(/watermark_operations_total\{result="rejected",backend="file",request_type="block"\}/);
    expect(text).toMatch(
      /consensus_round_total\{address="tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK",operation_type="attestation",chain_id="Net[^"]+",round="1"\} 50/,
    );
    // the file store's reads and writes: one create per chain file the run made, at least one read
    // per request
    const io = await byName('watermark_io_operations_total');
    const ioCount = (operation: string) => io.find((v) => v.labels.operation === operation && v.labels.result === 'success')?.value ?? 0;
    expect(io.every((v) => v.labels.backend === 'file' && v.labels.table_name === '')).toBe(true);
    const chainFiles = (await readdir(path.join(h.baseDir, 'watermark_v2'))).filter((n) => n.endsWith('.json'));
    expect(chainFiles.length).toBeGreaterThanOrEqual(2);
    expect(ioCount('create')).toBe(chainFiles.length);
    expect(ioCount('read')).toBeGreaterThanOrEqual(100);
    expect(io.filter((v) => v.labels.result === 'error')).toEqual([]);
    expect(text).toMatch(/watermark_io_latency_seconds_bucket\{le="0\.0001",backend="file",operation="create",table_name=""\}/);
    expect(text).toContain(`watermark_io_latency_seconds_count{backend="file",operation="create",table_name=""} ${chainFiles.length}`);
    expect(text).toContain('# TYPE watermark_io_errors_total counter');
  });
});

describe('request deadline', () => {
  it('answers 500 when the KMS is slower than the request deadline; an identical retry then gets the signature stored meanwhile', async () => {
    // kms-local holds the Sign past the 3 s request deadline (within the KMS deadline, whose attempts may take 10 s) and
    // releases it after the 500; the identical retry, answered from the store, has those 3 s too
    const d = await startHarness({ yaml: YAML, keys: [{ secret: P_SK }], requestDeadlineMs: 3000, kmsDeadlineMs: 60_000 });
    try {
      const req = `"${consensus('attestation', 7, 0, 0, freshChain())}"`;
      d.kms.faults.hold({ operations: ['Sign'] });
      const slow = await d.post(P, req);
      expect(slow.status).toBe(500);
      expect(JSON.parse(slow.text)[0].msg).toMatch(/request not finished within 3000 ms/);
      const slot = { chainId: chainName(JSON.parse(req).slice(2, 10)), pkh: P, kind: 'attestation' as const };
      expect(d.kms.faults.release()).toBe(1); // the Sign was still held when the request was answered
      // the signing goes on after the 500: wait until it is persisted (unreleased)
      while ((await d.deps.store.get(slot))?.signature === undefined) await new Promise((r) => setTimeout(r, 20));
      d.kms.faults.clear();
      const retry = await d.post(P, req);
      expect(retry.status).toBe(200);
      expect(verifySignature(JSON.parse(req), P_PK, JSON.parse(retry.text).signature)).toBe(true);
      expect(await d.deps.store.get(slot)).toMatchObject({
        signature: JSON.parse(retry.text).signature,
      });
    } finally {
      await d.close();
    }
  });
});
