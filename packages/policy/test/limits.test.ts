/**
 * Per-request limits over requests forged by Taquito (@taquito/local-forging, an independent
 * encoder) and decoded by core: every limit at its boundary (at the limit passes, one mutez or unit
 * over is refused with the exact message), allowlists, batches refused whole.
 */
import { LocalForger, ProtocolsHash } from '@taquito/local-forging';
import { parseConfig, type KeyLimits, type KeyPolicyConfig } from '@signatory-ts/config';
import { b58Decode, fromHex, parseSignRequest, toHex, type SignRequest } from '@signatory-ts/core';
import { ADDRESSES } from '@signatory-ts/dev-servers';
import { checkLimits, COST_PER_BYTE, requestSpend, StaticPolicy, violationType, type Denial, type LimitRefusal } from '../src';

const { key: KEY, keyPk: KEY_PK, alice: ALICE, bob: BOB, baker: BAKER, otherBaker: OTHER_BAKER, token: TOKEN, dex: DEX } = ADDRESSES;
const GENESIS = 'BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2';

const TZ = 1_000_000n;
const forger = new LocalForger(ProtocolsHash.PsUshuai9);

type Content = Record<string, unknown>;

/** A generic request (0x03) holding `contents`, forged by Taquito and decoded by core. */
async function forged(...contents: Content[]): Promise<SignRequest> {
  const hex = await forger.forge({ branch: GENESIS, contents: contents as never });
  const req = parseSignRequest(fromHex(`03${hex}`));
  expect(req.kind).toBe('generic');
  return req;
}

let counter = 0;
const header = (h: { fee?: bigint; gas?: bigint; storage?: bigint } = {}): Content => ({
  source: KEY,
  fee: String(h.fee ?? 1000n),
  counter: String(++counter),
  gas_limit: String(h.gas ?? 1500n),
  storage_limit: String(h.storage ?? 0n),
});
const reveal = (h?: Parameters<typeof header>[0]): Content => ({ kind: 'reveal', ...header(h), public_key: KEY_PK });
const tx = (amount: bigint, destination: string, entrypoint?: string, h?: Parameters<typeof header>[0]): Content => ({
  kind: 'transaction',
  ...header(h),
  amount: String(amount),
  destination,
  ...(entrypoint !== undefined ? { parameters: { entrypoint, value: { prim: 'Unit' } } } : {}),
});
const delegation = (delegate?: string): Content => ({ kind: 'delegation', ...header(), ...(delegate ? { delegate } : {}) });
const origination = (balance: bigint, delegate?: string, h?: Parameters<typeof header>[0]): Content => ({
  kind: 'origination',
  ...header({ storage: 500n, ...h }),
  balance: String(balance),
  ...(delegate ? { delegate } : {}),
  script: {
    code: [
      { prim: 'parameter', args: [{ prim: 'unit' }] },
      { prim: 'storage', args: [{ prim: 'unit' }] },
      { prim: 'code', args: [[{ prim: 'CDR' }, { prim: 'NIL', args: [{ prim: 'operation' }] }, { prim: 'PAIR' }]] },
    ],
    storage: { prim: 'Unit' },
  },
});
const ticket = (destination: string, entrypoint: string): Content => ({
  kind: 'transfer_ticket',
  ...header(),
  ticket_contents: { int: '1' },
  ticket_ty: { prim: 'nat' },
  ticket_ticketer: TOKEN,
  ticket_amount: '5',
  destination,
  entrypoint,
});
const paidStorage = (bytes: bigint): Content => ({ kind: 'increase_paid_storage', ...header(), amount: String(bytes), destination: TOKEN });
const drain = (destination: string): Content => ({ kind: 'drain_delegate', consensus_key: KEY, delegate: ALICE, destination });

const refused = (rule: LimitRefusal['rule'], operation: number | undefined, reason: string): LimitRefusal => ({
  rule,
  ...(operation !== undefined ? { operation } : {}),
  reason,
});

describe('a key without limits', () => {
  it('passes everything, however large (exactly as before limits existed)', async () => {
    const req = await forged(
      reveal({ fee: 10n ** 15n }),
      tx(10n ** 15n, BOB, undefined, { gas: 10n ** 9n, storage: 10n ** 9n }),
      origination(10n ** 15n, OTHER_BAKER),
    );
    expect(checkLimits(req, undefined)).toBeUndefined();
    expect(checkLimits(req, {})).toBeUndefined();
  });

  it('limits never apply to non-generic requests (pack, consensus)', () => {
    const strict: KeyLimits = { maxAmount: 0n, maxRequestAmount: 0n, maxFee: 0n, destinations: [], delegates: [] };
    expect(checkLimits(parseSignRequest(fromHex('050001')), strict)).toBeUndefined();
    const preattestation =
      '12b3d79f993222f293d2f293230ec36b0bef1caead619f1a7206ff54a0c198f07ae25bb151140014000000220000000458335430566f4b95401c110f33e74d3a324f83ad6003ed9d5e93ce617fa11e44';
    expect(checkLimits(parseSignRequest(fromHex(preattestation)), strict)).toBeUndefined();
    expect(requestSpend(parseSignRequest(fromHex('050001')))).toEqual({ amount: 0n, fee: 0n, storageBurn: 0n, total: 0n });
  });
});

describe('max_amount (per operation)', () => {
  const limits: KeyLimits = { maxAmount: 100n * TZ };

  it('a transaction of exactly max_amount passes', async () => {
    expect(checkLimits(await forged(tx(100n * TZ, ALICE)), limits)).toBeUndefined();
  });

  it('one mutez over is refused, naming the operation, the value and the limit', async () => {
    expect(checkLimits(await forged(tx(100n * TZ + 1n, ALICE)), limits)).toEqual(
      refused('max_amount', 0, 'operation 0 (transaction): amount 100.000001 tz is above max_amount 100 tz'),
    );
  });

  it("the issue's example: the third operation of a reveal + transactions batch", async () => {
    const req = await forged(reveal(), tx(10n * TZ, ALICE), tx(150n * TZ, BOB));
    expect(checkLimits(req, limits)).toEqual(
      refused('max_amount', 2, 'operation 2 (transaction): amount 150 tz is above max_amount 100 tz'),
    );
  });

  it("counts an origination's balance: at the limit passes, one mutez over is refused", async () => {
    expect(checkLimits(await forged(origination(100n * TZ)), limits)).toBeUndefined();
    expect(checkLimits(await forged(origination(100n * TZ + 1n)), limits)).toEqual(
      refused('max_amount', 0, 'operation 0 (origination): balance 100.000001 tz is above max_amount 100 tz'),
    );
  });

  it('a contract call sends its amount away too', async () => {
    expect(checkLimits(await forged(tx(100n * TZ + 1n, TOKEN, 'transfer')), limits)).toEqual(
      refused('max_amount', 0, 'operation 0 (transaction): amount 100.000001 tz is above max_amount 100 tz'),
    );
  });

  it.each(['stake', 'unstake', 'finalize_unstake', 'set_delegate_parameters'])(
    'a %s to the key itself moves nothing away and is not counted',
    async (entrypoint) => {
      const req = await forged(tx(1000n * TZ, KEY, entrypoint));
      expect(checkLimits(req, { maxAmount: 0n })).toBeUndefined();
      expect(requestSpend(req).amount).toBe(0n);
    },
  );

  it('a plain transfer to the key itself is not counted either', async () => {
    expect(checkLimits(await forged(tx(1000n * TZ, KEY)), { maxAmount: 0n })).toBeUndefined();
  });
});

describe('max_fee, max_gas_limit, max_storage_limit (per manager operation)', () => {
  it.each<[string, KeyLimits, Parameters<typeof header>[0], Parameters<typeof header>[0], LimitRefusal]>([
    [
      'max_fee',
      { maxFee: 1000n },
      { fee: 1000n },
      { fee: 1001n },
      refused('max_fee', 1, 'operation 1 (transaction): fee 0.001001 tz is above max_fee 0.001 tz'),
    ],
    [
      'max_gas_limit',
      { maxGasLimit: 100_000n },
      { gas: 100_000n },
      { gas: 100_001n },
      refused('max_gas_limit', 1, 'operation 1 (transaction): gas_limit 100001 is above max_gas_limit 100000'),
    ],
    [
      'max_storage_limit',
      { maxStorageLimit: 5000n },
      { storage: 5000n },
      { storage: 5001n },
      refused('max_storage_limit', 1, 'operation 1 (transaction): storage_limit 5001 is above max_storage_limit 5000'),
    ],
  ])('%s: at the limit passes, one over is refused', async (_name, limits, at, over, refusal) => {
    expect(checkLimits(await forged(reveal(at), tx(1n, ALICE, undefined, at)), limits)).toBeUndefined();
    expect(checkLimits(await forged(reveal(at), tx(1n, ALICE, undefined, over)), limits)).toEqual(refusal);
  });

  it('applies to a reveal as to any manager operation', async () => {
    expect(checkLimits(await forged(reveal({ fee: 1001n }), tx(1n, ALICE)), { maxFee: 1000n })).toEqual(
      refused('max_fee', 0, 'operation 0 (reveal): fee 0.001001 tz is above max_fee 0.001 tz'),
    );
  });
});

describe('max_request_amount: everything the request can take from the key', () => {
  // 100 tz + 150 tz sent, two fees of 0.001 tz, storage_limit 257 on the second (a new account's allocation)
  const batch = () => forged(tx(100n * TZ, ALICE), tx(150n * TZ, BOB, undefined, { storage: 257n }));
  const total = 250n * TZ + 2000n + 257n * COST_PER_BYTE;

  it('counts amounts, fees and the storage burn bound (storage_limit × 250 mutez)', async () => {
    expect(requestSpend(await batch())).toEqual({ amount: 250n * TZ, fee: 2000n, storageBurn: 64_250n, total });
  });

  it('a request spending exactly max_request_amount passes', async () => {
    expect(checkLimits(await batch(), { maxRequestAmount: total })).toBeUndefined();
  });

  it('one mutez over is refused with the breakdown', async () => {
    expect(checkLimits(await batch(), { maxRequestAmount: total - 1n })).toEqual(
      refused(
        'max_request_amount',
        undefined,
        'request spends up to 250.06625 tz (amounts 250 tz + fees 0.002 tz + storage burn up to 0.06425 tz), above max_request_amount 250.066249 tz',
      ),
    );
  });

  it('per-operation limits are checked first, in batch order', async () => {
    expect(checkLimits(await batch(), { maxRequestAmount: 1n, maxAmount: 120n * TZ })).toEqual(
      refused('max_amount', 1, 'operation 1 (transaction): amount 150 tz is above max_amount 120 tz'),
    );
  });

  it('increase_paid_storage burns what it buys: counted as storage burn', async () => {
    // below 64 bytes: Taquito forges this amount as Zarith N, core reads Octez's Z; both agree only there
    const req = await forged(paidStorage(60n));
    expect(requestSpend(req)).toEqual({ amount: 0n, fee: 1000n, storageBurn: 60n * COST_PER_BYTE, total: 1000n + 15_000n });
    expect(checkLimits(req, { maxRequestAmount: 16_000n })).toBeUndefined();
    expect(checkLimits(req, { maxRequestAmount: 15_999n })?.rule).toBe('max_request_amount');
  });

  it('adds up a mixed batch exactly (stake to itself not counted)', async () => {
    const req = await forged(reveal(), tx(3n * TZ, ALICE), tx(7n * TZ, KEY, 'stake'), origination(2n * TZ), paidStorage(4n));
    expect(requestSpend(req)).toEqual({
      amount: 5n * TZ,
      fee: 5000n,
      storageBurn: 500n * COST_PER_BYTE + 4n * COST_PER_BYTE,
      total: 5n * TZ + 5000n + 504n * COST_PER_BYTE,
    });
  });
});

describe('destinations (allowlist)', () => {
  const limits: KeyLimits = {
    destinations: [
      { address: ALICE, entrypoint: 'default' },
      { address: TOKEN, entrypoint: 'transfer' },
      { address: DEX, entrypoint: 'default' },
    ],
  };

  it.each<[string, () => Content]>([
    ['an implicit account in the list', () => tx(1n, ALICE)],
    ['a named entrypoint in the list', () => tx(0n, TOKEN, 'transfer')],
    ['a contract listed without % (its default entrypoint)', () => tx(1n, DEX)],
    ['a contract listed without %, called with %default written out', () => tx(1n, DEX, 'default')],
    ['the key itself (stake)', () => tx(1n, KEY, 'stake')],
    ['a ticket to a listed entrypoint', () => ticket(TOKEN, 'transfer')],
    ['an origination with balance 0', () => origination(0n)],
  ])('allows %s', async (_what, op) => {
    expect(checkLimits(await forged(op()), limits)).toBeUndefined();
  });

  it.each<[string, () => Content, string]>([
    ['an implicit account not in the list', () => tx(1n, BOB), `operation 0 (transaction): destination ${BOB} is not in destinations`],
    [
      'an entrypoint not in the list',
      () => tx(0n, TOKEN, 'mint'),
      `operation 0 (transaction): destination ${TOKEN}%mint is not in destinations`,
    ],
    [
      "a listed contract's default entrypoint when only %transfer is listed",
      () => tx(1n, TOKEN),
      `operation 0 (transaction): destination ${TOKEN} is not in destinations`,
    ],
    [
      'a named entrypoint of a contract listed without %',
      () => tx(0n, DEX, 'swap'),
      `operation 0 (transaction): destination ${DEX}%swap is not in destinations`,
    ],
    [
      'a ticket to an entrypoint not in the list',
      () => ticket(TOKEN, 'burn'),
      `operation 0 (transfer_ticket): destination ${TOKEN}%burn is not in destinations`,
    ],
    [
      'an origination with a balance (a new contract cannot be listed)',
      () => origination(1n),
      'operation 0 (origination): balance 0.000001 tz would go to a new contract, which cannot be in destinations (originate with balance 0)',
    ],
    ['a drain to an unlisted account', () => drain(BOB), `operation 0 (drain_delegate): destination ${BOB} is not in destinations`],
  ])('refuses %s', async (_what, op, reason) => {
    expect(checkLimits(await forged(op()), limits)).toEqual(refused('destinations', 0, reason));
  });

  it('an empty list allows only transactions to the key itself', async () => {
    expect(checkLimits(await forged(tx(5n, KEY, 'stake')), { destinations: [] })).toBeUndefined();
    expect(checkLimits(await forged(tx(1n, ALICE)), { destinations: [] })?.rule).toBe('destinations');
  });

  it('a batch with one unlisted destination is refused whole, naming that operation', async () => {
    const req = await forged(reveal(), tx(1n, ALICE), tx(1n, BOB), tx(1n, DEX));
    expect(checkLimits(req, limits)).toEqual(
      refused('destinations', 2, `operation 2 (transaction): destination ${BOB} is not in destinations`),
    );
  });

  it('the same batch without the bad operation passes', async () => {
    expect(checkLimits(await forged(reveal(), tx(1n, ALICE), tx(1n, DEX)), limits)).toBeUndefined();
  });
});

describe('delegates (allowlist)', () => {
  const limits: KeyLimits = { delegates: [BAKER] };

  it('a delegation to a listed baker passes', async () => {
    expect(checkLimits(await forged(delegation(BAKER)), limits)).toBeUndefined();
  });

  it('a delegation to another baker is refused', async () => {
    expect(checkLimits(await forged(reveal(), delegation(OTHER_BAKER)), limits)).toEqual(
      refused('delegates', 1, `operation 1 (delegation): delegate ${OTHER_BAKER} is not in delegates`),
    );
  });

  it('withdrawing the delegation (no delegate) passes', async () => {
    expect(checkLimits(await forged(delegation()), limits)).toBeUndefined();
  });

  it("an origination's delegate is checked too", async () => {
    expect(checkLimits(await forged(origination(0n, BAKER)), limits)).toBeUndefined();
    expect(checkLimits(await forged(origination(0n, OTHER_BAKER)), limits)).toEqual(
      refused('delegates', 0, `operation 0 (origination): delegate ${OTHER_BAKER} is not in delegates`),
    );
  });
});

describe('operations whose outflow no limit can bound', () => {
  it('drain_delegate is refused when an amount limit is set, under that limit', async () => {
    const req = await forged(drain(ALICE));
    const why = "moves the delegate's whole spendable balance, an amount the request does not state";
    expect(checkLimits(req, { maxAmount: 100n * TZ })).toEqual(
      refused('max_amount', 0, `operation 0 (drain_delegate): ${why}, so max_amount cannot bound it`),
    );
    expect(checkLimits(req, { maxRequestAmount: 100n * TZ })?.rule).toBe('max_request_amount');
    expect(checkLimits(req, { spend: [{ window: '1h', windowSeconds: 3600, amount: TZ }] })?.rule).toBe('spend');
    expect(checkLimits(req, { destinations: [{ address: ALICE, entrypoint: 'default' }] })).toBeUndefined();
  });

  it('update_consensus_key is refused when an amount or destination limit is set (the new key could drain the balance)', async () => {
    const req = await forged({
      kind: 'update_consensus_key',
      source: KEY,
      fee: '1000',
      counter: '1',
      gas_limit: '1000',
      storage_limit: '0',
      pk: KEY_PK,
    });
    const why = 'hands a key that can later drain the whole spendable balance (drain_delegate) to whoever holds it';
    expect(checkLimits(req, { maxAmount: 100n * TZ })).toEqual(
      refused('max_amount', 0, `operation 0 (update_consensus_key): ${why}, so max_amount cannot bound it`),
    );
    expect(checkLimits(req, { destinations: [{ address: ALICE, entrypoint: 'default' }] })).toEqual(
      refused('destinations', 0, `operation 0 (update_consensus_key): ${why}, so destinations cannot bound it`),
    );
    expect(checkLimits(req, { maxFee: TZ })).toBeUndefined();
  });

  it('smart_rollup_publish (the commitment bond) is refused when an amount limit is set', () => {
    // hand-forged from docs/payloads.md (Taquito does not forge it): tag 203, manager header, rollup, commitment
    const source = toHex(b58Decode(KEY, ['tz1']).payload);
    const hex =
      '03' +
      '00'.repeat(32) + // branch
      'cb' +
      '00' +
      source +
      'e807' + // fee 1000
      '01' + // counter
      '8801' + // gas 136
      '00' + // storage 0
      '11'.repeat(20) + // rollup
      '22'.repeat(32) + // compressed state
      '00000010' + // inbox level
      '33'.repeat(32) + // predecessor
      '0000000000000064'; // ticks
    const req = parseSignRequest(fromHex(hex));
    expect(req.kind === 'generic' && req.operations[0]!.kind).toBe('smart_rollup_publish');
    expect(checkLimits(req, { maxRequestAmount: 100n * TZ })).toEqual(
      refused(
        'max_request_amount',
        0,
        'operation 0 (smart_rollup_publish): puts the rollup commitment bond (10000 tz on mainnet) at stake, which a refutation game can take, so max_request_amount cannot bound it',
      ),
    );
    expect(checkLimits(req, { maxFee: 1000n })).toBeUndefined();
  });
});

describe('from signatory.yaml to a decision', () => {
  it('limits as config loads them refuse and pass as written', async () => {
    const config = parseConfig(
      [
        'vaults: {kms: {driver: awskms}}',
        'tezos:',
        `  ${KEY}:`,
        '    allow: {generic: [transaction, reveal]}',
        '    limits:',
        '      max_amount: 12.5tz',
        '      max_fee: 0.002tz',
        `      destinations: [${ALICE}, "${TOKEN}%transfer"]`,
      ].join('\n'),
      { env: {} },
    );
    const limits = (config.tezos.get(KEY) as KeyPolicyConfig).limits;
    expect(checkLimits(await forged(reveal({ fee: 2000n }), tx(12_500_000n, ALICE)), limits)).toBeUndefined();
    expect(checkLimits(await forged(tx(12_500_001n, ALICE)), limits)?.reason).toBe(
      'operation 0 (transaction): amount 12.500001 tz is above max_amount 12.5 tz',
    );
    expect(checkLimits(await forged(tx(0n, TOKEN, 'transfer', { fee: 2001n })), limits)?.reason).toBe(
      'operation 0 (transaction): fee 0.002001 tz is above max_fee 0.002 tz',
    );

    // the static policy (what the signer asks) applies them: 403 naming the limit, metrics labelled by it
    const policy = new StaticPolicy(config.tezos);
    const ctx = (req: SignRequest) => ({
      pkh: KEY,
      requestKind: 'generic' as const,
      operationKinds: req.kind === 'generic' ? req.operations.map((o) => o.kind) : [],
      generic: req,
    });
    expect(policy.evaluate(ctx(await forged(tx(12_500_000n, ALICE))))).toEqual({ allow: true });
    const over = policy.evaluate(ctx(await forged(tx(12_500_001n, ALICE)))) as Denial;
    expect(over).toEqual({
      allow: false,
      rule: 'limits',
      limit: 'max_amount',
      reason: 'operation 0 (transaction): amount 12.500001 tz is above max_amount 12.5 tz',
    });
    expect(violationType(over)).toBe('max_amount');
    // a caller that does not pass the decoded request gets no signature from a key with limits
    const { generic: _dropped, ...blind } = ctx(await forged(tx(1n, ALICE)));
    expect(policy.evaluate(blind)).toMatchObject({ allow: false, rule: 'limits' });
  });
});
