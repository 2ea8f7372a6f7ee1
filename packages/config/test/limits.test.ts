import { formatTez, MAX_MUTEZ, parseConfig, parseMutez, parseWindow, type KeyPolicyConfig } from '@signatory-ts/config';
import { ADDRESSES } from '@signatory-ts/dev-servers';
import { configError } from './config-error';

const { key: KEY, alice: ALICE, baker: BAKER, token: TOKEN, dex: DEX, keyPk: EDPK } = ADDRESSES;

/** A key allowed to sign transactions, with `limits` lines (indented under limits:) below it; line 5 is the first limit. */
const yaml = (limits: string, allow = 'generic: [transaction, reveal, delegation, origination]') =>
  `vaults: {kms: {driver: awskms}}\ntezos:\n  ${KEY}:\n    allow: {${allow}}\n    limits:\n${limits
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n')}\n`;

const load = (text: string) => parseConfig(text, { env: {}, file: 'signatory.yaml' });
const policy = (text: string) => load(text).tezos.get(KEY) as KeyPolicyConfig;

const problems = (text: string): readonly string[] => configError(() => load(text)).problems;

describe('limits: a valid block', () => {
  it("loads the issue's example (without spend) as exact mutez, entrypoints resolved", () => {
    const p = policy(
      yaml(
        [
          'max_amount: 100tz',
          'max_request_amount: 250tz',
          'max_fee: 0.05tz',
          'max_gas_limit: 100000',
          'max_storage_limit: 5000',
          `destinations: [${ALICE}, ${TOKEN}%transfer, ${DEX}]`,
          `delegates: [${BAKER}]`,
        ].join('\n'),
      ),
    );
    expect(p.limits).toEqual({
      maxAmount: 100_000_000n,
      maxRequestAmount: 250_000_000n,
      maxFee: 50_000n,
      maxGasLimit: 100_000n,
      maxStorageLimit: 5_000n,
      destinations: [
        { address: ALICE, entrypoint: 'default' },
        { address: TOKEN, entrypoint: 'transfer' },
        { address: DEX, entrypoint: 'default' },
      ],
      delegates: [BAKER],
    });
  });

  it('keeps only what is written: one limit gives one field', () => {
    expect(policy(yaml('max_fee: 1500')).limits).toEqual({ maxFee: 1500n });
  });

  it('an empty destinations list is kept (nothing but the key itself is a destination)', () => {
    expect(policy(yaml('destinations: []')).limits).toEqual({ destinations: [] });
  });

  it('spend caps load in config order, in mutez and seconds (enforced by the signer on the spend ledger)', () => {
    expect(policy(yaml('max_amount: 100tz\nspend:\n  - {window: 1h, amount: 200tz}\n  - {window: 24h, amount: 1000tz}')).limits).toEqual({
      maxAmount: 100_000_000n,
      spend: [
        { window: '1h', windowSeconds: 3600, amount: 200_000_000n },
        { window: '24h', windowSeconds: 86_400, amount: 1_000_000_000n },
      ],
    });
  });

  it('an empty spend list configures no cap and loads', () => {
    expect(policy(yaml('spend: []')).limits).toEqual({ spend: [] });
  });

  it('a key without limits has no limits field (behaves as before)', () => {
    const p = load(`vaults: {kms: {driver: awskms}}\ntezos:\n  ${KEY}:\n    allow: {generic: [transaction]}\n`).tezos.get(KEY);
    expect(p).toEqual({
      allowedRequests: ['generic'],
      allowedOperations: ['transaction'],
      allowProofOfPossession: false,
      logPayloads: false,
    });
  });

  it('limits on a key that also allows pack are refused: a signed Michelson value can order a transfer no limit sees', () => {
    expect(problems(yaml('max_amount: 1tz', 'generic: [transaction], pack: '))).toEqual([
      `signatory.yaml:5:5: tezos.${KEY}.limits: cannot bound what this key signs: it also allows pack (signed Michelson values), which multisig contracts and permits accept as an order to transfer; remove pack from allow, or sign Michelson values with another key`,
    ]);
  });

  it('limits on a key that does not allow generic load with a warning that they have no effect', () => {
    const c = load(yaml('max_amount: 1tz', 'block: '));
    expect(c.warnings).toEqual([
      `signatory.yaml:5:5: tezos.${KEY}.limits: has no effect: limits apply to generic requests, and this key does not allow generic`,
    ]);
  });
});

describe('amounts are exact', () => {
  it.each<[string | number, bigint]>([
    [0, 0n],
    [500000, 500_000n],
    ['500000', 500_000n],
    ['500000mutez', 500_000n],
    ['500000 mutez', 500_000n],
    ['12.5tz', 12_500_000n],
    ['12.5 tz', 12_500_000n],
    ['12.5tez', 12_500_000n],
    ['12.5TZ', 12_500_000n],
    ['0.000001tz', 1n],
    ['0tz', 0n],
    // floating point would give 1004999.9999999999 and 4349999.999999999
    ['1.005tz', 1_005_000n],
    ['4.35tz', 4_350_000n],
    ['9223372036854.775807tz', MAX_MUTEZ],
    ['9223372036854775807', MAX_MUTEZ],
    [Number.MAX_SAFE_INTEGER, BigInt(Number.MAX_SAFE_INTEGER)],
  ])('%p is %p mutez', (written, mutez) => {
    expect(parseMutez(written)).toEqual({ ok: true, value: mutez });
  });

  it.each([Infinity, -Infinity, NaN])('%p is not an amount', (v) => {
    expect(parseMutez(v)).toEqual({
      ok: false,
      message: `${v} is not an amount; write mutez as a whole number (500000) or an amount with a unit (0.5tz, 500000mutez)`,
    });
  });

  it.each<[bigint, string]>([
    [0n, '0 tz'],
    [1n, '0.000001 tz'],
    [50_000n, '0.05 tz'],
    [150_000_000n, '150 tz'],
    [100_000_001n, '100.000001 tz'],
    [MAX_MUTEZ, '9223372036854.775807 tz'],
  ])('formatTez(%p) is %p', (mutez, text) => {
    expect(formatTez(mutez)).toBe(text);
  });

  it.each<[string, number]>([
    ['1s', 1],
    ['90s', 90],
    ['30m', 1800],
    ['1h', 3600],
    ['24h', 86_400],
    ['7d', 604_800],
    ['366d', 31_622_400],
  ])('window %p is %p seconds', (w, s) => {
    expect(parseWindow(w)).toEqual({ ok: true, value: s });
  });
});

describe('limits: config errors name the YAML path and the fix', () => {
  const P = `tezos.${KEY}.limits`;
  /** [what, limit lines, expected problems]. */
  const CASES: [string, string, string[]][] = [
    [
      'a negative number',
      'max_amount: -5',
      [
        `signatory.yaml:6:7: ${P}.max_amount: -5 is negative; write mutez as a whole number (500000) or an amount with a unit (0.5tz, 500000mutez), 0 or more`,
      ],
    ],
    [
      'a negative amount with a unit',
      'max_fee: -0.5tz',
      [
        `signatory.yaml:6:7: ${P}.max_fee: "-0.5tz" is negative; write mutez as a whole number (500000) or an amount with a unit (0.5tz, 500000mutez), 0 or more`,
      ],
    ],
    [
      'an unknown unit, with the likely one suggested',
      'max_amount: 5xtz',
      [
        `signatory.yaml:6:7: ${P}.max_amount: unknown unit "xtz" in "5xtz" (did you mean "tz"?); expected tz, tez or mutez (no unit: mutez)`,
      ],
    ],
    [
      'an unknown unit with nothing close',
      'max_amount: 5 dollars',
      [`signatory.yaml:6:7: ${P}.max_amount: unknown unit "dollars" in "5 dollars"; expected tz, tez or mutez (no unit: mutez)`],
    ],
    [
      'more than 6 decimals',
      'max_fee: 0.0000001tz',
      [`signatory.yaml:6:7: ${P}.max_fee: "0.0000001tz" has more than 6 decimals; the smallest amount is 0.000001tz (1 mutez)`],
    ],
    [
      'decimals on mutez',
      'max_fee: 1.5mutez',
      [`signatory.yaml:6:7: ${P}.max_fee: "1.5mutez": mutez are whole (1 tz = 1000000 mutez); for tez write "1.5tz"`],
    ],
    [
      'a bare decimal number (mutez are whole)',
      'max_request_amount: 2.5',
      [`signatory.yaml:6:7: ${P}.max_request_amount: 2.5 is not a whole number of mutez; for tez write "2.5tz"`],
    ],
    [
      'a YAML number too large to be read exactly',
      'max_amount: 9007199254740993',
      [`signatory.yaml:6:7: ${P}.max_amount: is too large to read exactly as a YAML number; quote it or use a unit ("…tz")`],
    ],
    [
      'more than any Tezos amount',
      'max_amount: "9223372036854775808"',
      [`signatory.yaml:6:7: ${P}.max_amount: "9223372036854775808" is more than any Tezos amount (at most 9223372036854.775807 tz)`],
    ],
    [
      'not an amount at all',
      'max_amount: lots',
      [
        `signatory.yaml:6:7: ${P}.max_amount: "lots" is not an amount; write mutez as a whole number (500000) or an amount with a unit (0.5tz, 500000mutez)`,
      ],
    ],
    [
      'a unit on a gas limit',
      'max_gas_limit: 10tz',
      [`signatory.yaml:6:7: ${P}.max_gas_limit: "10tz" is not a whole number of 0 or more (no unit: gas units or bytes)`],
    ],
    [
      'a negative storage limit',
      'max_storage_limit: -1',
      [`signatory.yaml:6:7: ${P}.max_storage_limit: -1 is not a whole number of 0 or more`],
    ],
    [
      'a bad destination address (checksum)',
      `destinations: [${ALICE.slice(0, -1)}x]`,
      [
        `signatory.yaml:6:22: ${P}.destinations[0]: "${ALICE.slice(0, -1)}x" is not a destination (expected tz1, tz2, tz3, tz4 or KT1 with a valid checksum, optionally KT1…%entrypoint)`,
      ],
    ],
    [
      'a public key as a destination',
      `destinations: [${EDPK}]`,
      [
        `signatory.yaml:6:22: ${P}.destinations[0]: "${EDPK}" is not a destination (expected tz1, tz2, tz3, tz4 or KT1 with a valid checksum, optionally KT1…%entrypoint)`,
      ],
    ],
    [
      'an entrypoint on an implicit account',
      `destinations: ["${ALICE}%transfer"]`,
      [
        `signatory.yaml:6:22: ${P}.destinations[0]: "${ALICE}%transfer": an implicit account (tz1…tz4) has only the default entrypoint; write ${ALICE} without %transfer`,
      ],
    ],
    [
      'a bad entrypoint name',
      `destinations: ["${TOKEN}%trans fer", "${TOKEN}%"]`,
      [
        `signatory.yaml:6:22: ${P}.destinations[0]: "${TOKEN}%trans fer": "trans fer" is not an entrypoint name (1 to 31 of A-Z a-z 0-9 _ . @ %); write KT1…%name, or the address alone for the default entrypoint`,
        `signatory.yaml:6:${22 + TOKEN.length + 14}: ${P}.destinations[1]: "${TOKEN}%": "" is not an entrypoint name (1 to 31 of A-Z a-z 0-9 _ . @ %); write KT1…%name, or the address alone for the default entrypoint`,
      ],
    ],
    [
      'a contract as a delegate',
      `delegates: [${TOKEN}]`,
      [`signatory.yaml:6:19: ${P}.delegates[0]: "${TOKEN}" is a contract; a delegate is an implicit account (tz1, tz2, tz3 or tz4)`],
    ],
    [
      'a public key as a delegate, with its hash suggested',
      `delegates: [${EDPK}]`,
      [`signatory.yaml:6:19: ${P}.delegates[0]: "${EDPK}" is a public key, not a public key hash (write its hash ${KEY})`],
    ],
    [
      'a window of 0s',
      'spend: [{window: 0s, amount: 1tz}]',
      [
        `signatory.yaml:6:16: ${P}.spend[0].window: window "0s" is empty, so it would cap nothing; write a window of 1s or more (for example 1h)`,
      ],
    ],
    [
      'a window with an unknown unit, a window too long, a bad cap amount',
      'spend:\n  - {window: 1w, amount: 1tz}\n  - {window: 400d, amount: 1tz}\n  - {window: 1h, amount: -1}',
      [
        `signatory.yaml:7:12: ${P}.spend[0].window: unknown unit "w" in window "1w"; expected s, m, h or d (for example 1h, 24h, 7d)`,
        `signatory.yaml:8:12: ${P}.spend[1].window: window "400d" is longer than 366d`,
        `signatory.yaml:9:24: ${P}.spend[2].amount: -1 is negative; write mutez as a whole number (500000) or an amount with a unit (0.5tz, 500000mutez), 0 or more`,
      ],
    ],
    [
      'two caps over the same window (24h and 1d)',
      'spend:\n  - {window: 24h, amount: 1tz}\n  - {window: 1d, amount: 2tz}',
      [`signatory.yaml:8:12: ${P}.spend[1].window: window "1d" is the same as spend[0]'s; keep one cap per window`],
    ],
    [
      'an unknown key in limits, with the likely one suggested',
      'max_amout: 1tz',
      [`signatory.yaml:6:7: ${P}.max_amout: unknown key "max_amout" (did you mean "max_amount"?)`],
    ],
    ['a spend entry without an amount', 'spend: [{window: 1h}]', [`signatory.yaml:6:15: ${P}.spend[0]: missing required key "amount"`]],
    ['destinations as a string', `destinations: ${ALICE}`, [`signatory.yaml:6:7: ${P}.destinations: expected a list, got a string`]],
  ];

  it.each(CASES)('%s', (_what, limits, expected) => {
    expect(problems(yaml(limits))).toEqual(expected);
  });

  it('every problem of a block is reported in one run', () => {
    expect(problems(yaml(`max_amount: -1\nmax_fee: 1xtz\ndelegates: [${TOKEN}]`))).toHaveLength(3);
  });

  it('an error message never depends on a floating point reading of the amount', () => {
    // 0.1 + 0.2 style: a float reading would accept 7 decimals that round to 6
    expect(problems(yaml('max_fee: 0.1000000tz'))).toEqual([
      `signatory.yaml:6:7: ${P}.max_fee: "0.1000000tz" has more than 6 decimals; the smallest amount is 0.000001tz (1 mutez)`,
    ]);
  });
});

describe('spend caps and the watermark driver', () => {
  it('are refused with driver mem: a restart would hand the whole cap back', () => {
    const text = yaml('spend:\n  - {window: 1h, amount: 200tz}') + 'watermark:\n  driver: mem\n';
    expect(problems(text)).toEqual([
      `signatory.yaml:6:7: tezos.${KEY}.limits.spend: spend caps need a ledger that survives a restart and is shared by every replica, and watermark driver mem keeps it in memory; use watermark driver file, aws or postgres`,
    ]);
  });
});
