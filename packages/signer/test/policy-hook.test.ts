import { InMemorySigner } from '@taquito/signer';
import { fromHex, type SignatoryError } from '@signatory-ts/core';
import { startHookServer, type HookAnswer, type HookRequest, type HookServer } from '@signatory-ts/dev-servers';
import { PolicyChain, PolicyHook, StaticPolicy } from '@signatory-ts/policy';
import type { FileWatermarkStore } from '@signatory-ts/watermark';
import { createSigner, type Signer, type SignerEvents } from '../src';
import { startKmsFixture, type KmsFixture } from './kms-fixture';
import { CHAIN, ED, ED_SK, preattestationAt as preattestationHexAt, TRANSACTION as TRANSACTION_HEX } from './requests';

// The signer with the static policy then a real hook server: kms-local, the AWS SDK vault, the
// file watermark store. Every way the hook can fail refuses the request and moves no watermark.
const HOOK_KEY = new InMemorySigner('edsk3ZAm9nqEo7qNugo2wcmxWnbDe7oUUmHt5UJYDdqwucsaHTAsVQ');
const STRANGER = new InMemorySigner('edsk4TjJWEszkHKono7XMnepVqwi37FrpbVt1KCsifJeAGimxheShG');
const preattestationAt = (level: number) => fromHex(preattestationHexAt(level));
const levelOf = (req: HookRequest) =>
  Buffer.from((JSON.parse(req.body.toString()) as { request: string }).request, 'base64').readUInt32BE(40);
// a transaction by ED (generic), which the static policy below refuses
const TRANSACTION = fromHex(TRANSACTION_HEX);

let fixture: KmsFixture;
let hook: HookServer;
let store: FileWatermarkStore;
let signer: Signer;
/** The same signer with a hook timeout of 300 ms, for a hook that never answers. */
let impatient: Signer;
const violations: Parameters<NonNullable<SignerEvents['policyViolation']>>[0][] = [];

beforeAll(async () => {
  // timeouts no loaded machine reaches on a call that must succeed: only a hook that never answers is cut (`impatient`)
  fixture = await startKmsFixture('signer-hook-', [ED_SK]);
  store = fixture.store;
  hook = await startHookServer();
  const policies = new Map([[ED, null]]);
  const withHookTimeout = async (timeoutMs: number) =>
    createSigner({
      vaults: [fixture.newVault()],
      policies,
      policy: new PolicyChain([
        new StaticPolicy(policies),
        new PolicyHook({ address: hook.url, authorizedKeys: [await HOOK_KEY.publicKey()], timeoutMs }),
      ]),
      watermarkStore: store,
      events: { policyViolation: (e) => violations.push(e) },
    });
  signer = await withHookTimeout(30_000);
  impatient = await withHookTimeout(300);
});
afterAll(async () => {
  await signer.close();
  await impatient.close();
  await hook.stop();
  await fixture.close();
});

/** The reference service's signed reply, with one thing changed. */
function signedReply(o: { status?: number; httpStatus?: number; nonce?: string; by?: InMemorySigner; signWith?: InMemorySigner } = {}) {
  return async (req: HookRequest): Promise<HookAnswer> => {
    const by = o.by ?? HOOK_KEY;
    const status = o.status ?? 200;
    const nonce = o.nonce ?? (JSON.parse(req.body.toString()) as { nonce: string }).nonce;
    const payload = JSON.stringify({ status, error: '', public_key_hash: await by.publicKeyHash(), nonce });
    const { prefixSig } = await (o.signWith ?? by).sign(Buffer.from(payload).toString('hex'));
    return { status: o.httpStatus ?? status, body: `{"payload":${payload},"signature":"${prefixSig}"}` };
  };
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => 'signed',
    (e: SignatoryError) => `${e.code}: ${e.message}`,
  );
const mark = (level: number) => store.get({ chainId: CHAIN, pkh: ED, kind: 'preattestation' }).then((m) => m?.level ?? level - 1);

describe('signer with the policy hook', () => {
  it.each<[string, () => (req: HookRequest) => HookAnswer | 'hang' | Promise<HookAnswer>, string, (() => Signer)?]>([
    ['status mismatch', () => signedReply({ httpStatus: 201 }), 'internal: the policy hook reply status must match the HTTP header'],
    ['nonce mismatch', () => signedReply({ nonce: Buffer.alloc(32).toString('base64') }), 'policy_denied: nonce mismatch'],
    ['unknown key', () => signedReply({ by: STRANGER }), 'unauthenticated: public key not found'],
    ['bad signature', () => signedReply({ signWith: STRANGER }), 'policy_denied: invalid hook reply signature'],
    ['4xx', () => signedReply({ status: 403 }), 'policy_denied: policy hook: 403 Forbidden'],
    ['5xx', () => () => ({ status: 502 }), 'internal: policy hook: 502 Bad Gateway, and the reply is not the expected JSON'],
    [
      'redirect',
      () => () => ({ status: 308, headers: { location: `${hook.origin}/hook` } }),
      'internal: policy hook: 308 Permanent Redirect',
    ],
    ['slower than the timeout', () => () => 'hang', 'internal: policy hook: POST', () => impatient],
  ])('%s: refused, no watermark moved, and the next request at that level signs', async (_name, refuse, want, via = () => signer) => {
    const level = 1000 + hook.requests.length;
    const before = await mark(level);
    hook.answer(refuse());
    expect(await errorOf(via().sign({ pkh: ED, bytes: preattestationAt(level) }))).toMatch(
      new RegExp(`^${want.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    expect(await mark(level)).toBe(before);
    expect(violations.at(-1)).toEqual({ pkh: ED, rule: 'policy_hook', violation: 'policy_hook' });
    hook.answer(signedReply());
    expect(await errorOf(signer.sign({ pkh: ED, bytes: preattestationAt(level) }))).toBe('signed');
    expect(await mark(level)).toBe(level);
  });

  it('a hook that is down: refused; the next request at that level signs once it is back', async () => {
    const down = await startHookServer();
    await down.stop();
    const policies = new Map([[ED, null]]);
    const s = await createSigner({
      vaults: [fixture.newVault()],
      policies,
      policy: new PolicyChain([new StaticPolicy(policies), new PolicyHook({ address: down.url })]),
      watermarkStore: store,
    });
    try {
      expect(await errorOf(s.sign({ pkh: ED, bytes: preattestationAt(5000) }))).toMatch(/^internal: policy hook: POST .*ECONNREFUSED/);
      expect(await mark(5000)).toBeLessThan(5000);
    } finally {
      await s.close();
    }
    hook.answer(signedReply());
    expect(await errorOf(signer.sign({ pkh: ED, bytes: preattestationAt(5000) }))).toBe('signed');
  });

  it('is not asked about a request the static policy refuses', async () => {
    const asked = hook.requests.length;
    expect(await errorOf(signer.sign({ pkh: ED, bytes: TRANSACTION }))).toBe("policy_denied: request kind `generic' is not allowed");
    expect(hook.requests.length).toBe(asked);
    expect(violations.at(-1)).toEqual({ pkh: ED, rule: 'request_kind', violation: 'generic' });
  });

  it('is asked before the watermark slot is locked: a hook call in progress does not hold up the next level', async () => {
    const policies = new Map([[ED, null]]);
    const s = await createSigner({
      vaults: [fixture.newVault()],
      policies,
      policy: new PolicyChain([new StaticPolicy(policies), new PolicyHook({ address: hook.url, timeoutMs: 30_000 })]),
      watermarkStore: store,
    });
    let release: (() => void) | undefined;
    hook.answer(async (req) => {
      // the hook answers level 7000 only when the test says so
      if (levelOf(req) === 7000) await new Promise<void>((r) => (release = r));
      return { status: 204 };
    });
    try {
      let settled = false;
      const first = errorOf(s.sign({ pkh: ED, bytes: preattestationAt(7000) })).finally(() => (settled = true));
      while (release === undefined) await new Promise((r) => setImmediate(r));
      // same slot, higher level, while the first request waits for the hook (inside the lock this would wait forever)
      expect(await errorOf(s.sign({ pkh: ED, bytes: preattestationAt(7001) }))).toBe('signed');
      expect(settled).toBe(false);
      release();
      // allowed by the hook, then refused by the watermark the second request moved
      expect(await first).toBe('watermark_rejected: watermark validation failed');
      expect(await mark(7001)).toBe(7001);
    } finally {
      await s.close();
    }
  });
});
