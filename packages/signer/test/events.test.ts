import { fromHex, type SignatoryError } from '@signatory-ts/core';
import { TZ1_SEED_KEY } from '@signatory-ts/dev-servers';
import type { KmsLocal } from '@signatory-ts/kms-local';
import type { FileWatermarkStore } from '@signatory-ts/watermark';
import { createSigner, type KeyPolicyEntry, type LogFields, type Signer, type SignerEvents, type SignerLogger } from '../src';
import { startKmsFixture, type KmsFixture } from './kms-fixture';
import { C2, CHAIN, ED, ED_SK, P, P_SK, preattestationAt, TRANSACTION } from './requests';

// What the signer tells metrics (events) and logs, for each outcome, with real parts: kms-local,
// the AWS SDK vault, the file watermark store in a temp dir.
const UNLISTED = TZ1_SEED_KEY.pkh;
// C2 as an attestation (magic 0x13, tag 21)
const ATTESTATION = '13' + C2.slice(2, 74) + '15' + C2.slice(76);

interface Line {
  level: string;
  msg: string;
  fields: LogFields;
}
type Event = [string, unknown];

let fixture: KmsFixture;
let kms: KmsLocal;
let store: FileWatermarkStore;
let signer: Signer;
const lines: Line[] = [];
const events: Event[] = [];
let debugEnabled = true;

const logger: SignerLogger = {
  error: (msg, fields = {}) => lines.push({ level: 'error', msg, fields }),
  warn: (msg, fields = {}) => lines.push({ level: 'warn', msg, fields }),
  info: (msg, fields = {}) => lines.push({ level: 'info', msg, fields }),
  debug: (msg, fields = {}) => lines.push({ level: 'debug', msg, fields }),
  isLevelEnabled: (level) => level !== 'debug' || debugEnabled,
};
const recorder: SignerEvents = {
  signed: (e) => events.push(['signed', e]),
  signFailed: (e) => events.push(['signFailed', e]),
  policyViolation: (e) => events.push(['policyViolation', e]),
  watermark: (e) => events.push(['watermark', e]),
  watermarkRejected: (e) => events.push(['watermarkRejected', e]),
};

const policies = new Map<string, KeyPolicyEntry | null>([
  [ED, { allowedRequests: ['preattestation', 'generic'], allowedOperations: ['transaction'], allowedChains: [CHAIN] }],
  [P, { allowedRequests: ['preattestation', 'generic'], allowedOperations: ['delegation'], logPayloads: true }],
]);

beforeAll(async () => {
  fixture = await startKmsFixture('signer-events-', [ED_SK, P_SK]);
  ({ kms, store } = fixture);
  signer = await createSigner({
    vaults: [fixture.vault],
    policies,
    watermarkStore: store,
    logger,
    events: recorder,
  });
});
afterAll(async () => {
  await signer.close();
  await fixture.close();
});
beforeEach(() => {
  lines.length = 0;
  events.length = 0;
  debugEnabled = true;
});

const outcome = (p: Promise<{ signature: string }>) =>
  p.then(
    (r) => r.signature,
    (e: SignatoryError) => `${e.code}: ${e.message}`,
  );

describe('a signed consensus request', () => {
  it('reports signed and watermark success with its labels, and logs the request and the result', async () => {
    const sig = await outcome(signer.sign({ pkh: ED, bytes: fromHex(preattestationAt(100)), clientPkh: ED, version: 1 }));
    expect(sig).toMatch(/^edsig/);
    expect(events.map(([name]) => name)).toEqual(['watermark', 'signed']);
    expect(events[0]![1]).toMatchObject({ result: 'success', backend: 'file', requestKind: 'preattestation' });
    expect(events[1]![1]).toMatchObject({
      pkh: ED,
      vault: 'AWSKMS',
      requestKind: 'preattestation',
      ops: { preattestation: 1 },
      chainId: CHAIN,
      round: 4,
    });
    expect(lines.find((l) => l.msg === 'Requesting signing operation')).toEqual({
      level: 'info',
      msg: 'Requesting signing operation',
      fields: {
        pkh: ED,
        client_pkh: ED,
        request: 'preattestation',
        chain_id: CHAIN,
        lvl: 100,
        round: 4,
        ops: { preattestation: 1 },
        ops_total: 1,
        vault: 'AWSKMS',
        version: 1,
      },
    });
    expect(lines.some((l) => l.level === 'info' && l.msg === 'Signed preattestation successfully')).toBe(true);
    expect(lines.some((l) => l.level === 'debug' && l.msg === `Encoded signature: ${sig}`)).toBe(true);
  });

  it('an identical retry gets the same signature and says it was the stored one', async () => {
    const first = await outcome(signer.sign({ pkh: P, bytes: fromHex(preattestationAt(100)) }));
    lines.length = 0;
    events.length = 0;
    expect(await outcome(signer.sign({ pkh: P, bytes: fromHex(preattestationAt(100)) }))).toBe(first);
    expect(events.map(([name]) => name)).toEqual(['watermark', 'signed']);
    expect(lines.some((l) => l.msg === 'Signed preattestation successfully (stored signature of identical request)')).toBe(true);
  });

  it('a watermark refusal: watermark rejected, watermarkRejected with the reason, signFailed 409, and the stored mark logged', async () => {
    await outcome(signer.sign({ pkh: ED, bytes: fromHex(preattestationAt(300)) }));
    events.length = 0;
    lines.length = 0;
    expect(await outcome(signer.sign({ pkh: ED, bytes: fromHex(preattestationAt(299)) }))).toBe(
      'watermark_rejected: watermark validation failed',
    );
    expect(events).toEqual([
      ['watermark', expect.objectContaining({ result: 'rejected', backend: 'file', requestKind: 'preattestation' })],
      ['watermarkRejected', { pkh: ED, requestKind: 'preattestation', chainId: CHAIN, reason: 'watermark validation failed' }],
      ['signFailed', { vault: 'AWSKMS', code: 'watermark_rejected', chainId: CHAIN }],
    ]);
    expect(lines.find((l) => l.msg === 'watermark validation failed')?.fields).toMatchObject({
      stored_lvl: 300,
      stored_round: 4,
      lvl: 299,
    });
  });

  it('a vault failure: signFailed with the code and chain, nothing stored', async () => {
    kms.faults.failNext(50, 'KMSInvalidStateException', { operations: ['Sign'] });
    try {
      expect(await outcome(signer.sign({ pkh: ED, bytes: fromHex(preattestationAt(500)) }))).toMatch(/^vault_unavailable: /);
    } finally {
      kms.faults.clear();
    }
    expect(events).toEqual([['signFailed', { vault: 'AWSKMS', code: 'vault_unavailable', chainId: CHAIN }]]);
    expect((await store.get({ chainId: CHAIN, pkh: ED, kind: 'preattestation' }))?.level).toBe(300);
  });
});

describe('generic requests', () => {
  it('signs an allowed batch: ops counted by operation kind, chain label empty, no round', async () => {
    expect(await outcome(signer.sign({ pkh: ED, bytes: fromHex(TRANSACTION) }))).toMatch(/^edsig/);
    const signed = events.find(([name]) => name === 'signed')![1];
    expect(signed).toMatchObject({ requestKind: 'generic', ops: { transaction: 1 }, chainId: '' });
    expect(signed).not.toHaveProperty('round');
    expect(events[0]).toEqual(['watermark', expect.objectContaining({ result: 'success', requestKind: 'generic' })]);
  });
});

describe('policy refusals: policy_violation labels come from the decision, not the message', () => {
  it.each<[string, string, string, unknown]>([
    ['an operation kind', P, TRANSACTION, { pkh: P, rule: 'operation_kind', violation: 'transaction' }],
    ['a request kind', P, ATTESTATION, { pkh: P, rule: 'request_kind', violation: 'attestation' }],
    ['an unlisted key', UNLISTED, preattestationAt(1), { pkh: UNLISTED, rule: 'not_listed', violation: 'not_listed' }],
  ])('%s', async (_name, pkh, hex, violation) => {
    expect(await outcome(signer.sign({ pkh, bytes: fromHex(hex) }))).toMatch(/^policy_denied: /);
    expect(events).toEqual([['policyViolation', violation]]);
    expect(lines.at(-1)).toMatchObject({ level: 'error', fields: { pkh, raw: hex } });
  });

  it('a chain refusal is logged but not counted (as Go Signatory)', async () => {
    const otherChain = preattestationAt(1).slice(0, 2) + '00000000' + preattestationAt(1).slice(10);
    expect(await outcome(signer.sign({ pkh: ED, bytes: fromHex(otherChain) }))).toMatch(/^policy_denied: chain `/);
    expect(events).toEqual([]);
    expect(lines.at(-1)?.level).toBe('error');
  });
});

describe('logs', () => {
  it('log_payloads: the raw request at info for that key; otherwise at debug, and not even built when debug is off', async () => {
    // P has log_payloads: true
    expect(await outcome(signer.sign({ pkh: P, bytes: fromHex(preattestationAt(700)) }))).toMatch(/^p2sig/);
    expect(lines.find((l) => l.msg === 'About to sign raw bytes')).toMatchObject({ level: 'info', fields: { raw: preattestationAt(700) } });
    lines.length = 0;
    expect(await outcome(signer.sign({ pkh: ED, bytes: fromHex(preattestationAt(701)) }))).toMatch(/^edsig/);
    expect(lines.find((l) => l.msg === 'About to sign raw bytes')).toMatchObject({
      level: 'debug',
      fields: { raw: preattestationAt(701) },
    });
    lines.length = 0;
    debugEnabled = false;
    expect(await outcome(signer.sign({ pkh: ED, bytes: fromHex(preattestationAt(702)) }))).toMatch(/^edsig/);
    expect(lines.some((l) => l.msg === 'About to sign raw bytes')).toBe(false);
    expect(lines.some((l) => l.msg.startsWith('Encoded signature'))).toBe(false); // not even built
  });

  it('a request that does not decode: bad_request, logged with its hex cut at 256 bytes', async () => {
    const garbage = 'ff'.repeat(300);
    expect(await outcome(signer.sign({ pkh: ED, bytes: fromHex(garbage) }))).toMatch(/^bad_request: /);
    expect(lines.at(-1)).toMatchObject({ level: 'error', fields: { pkh: ED, raw: `${'ff'.repeat(256)}…(300 bytes)` } });
    expect(events).toEqual([]);
  });
});

describe('keys', () => {
  it('refreshKeys finds a key created in the vault after start-up; getPublicKey answers for it without a policy', async () => {
    const before = signer.listKeys().keys.length;
    await kms.createKey({ keySpec: 'ECC_NIST_EDWARDS25519' });
    const snap = await signer.refreshKeys();
    expect(snap.keys).toHaveLength(before + 1);
    const added = snap.keys.find((k) => k.pkh !== ED && k.pkh !== P)!;
    expect(signer.isActive(added.pkh)).toBe(false);
    expect(await signer.getPublicKey(added.pkh)).toBe(added.publicKey);
  });
});
