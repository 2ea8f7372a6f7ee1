#!/usr/bin/env node
/**
 * Generates test/vectors/taquito-operations.json: generic (0x03) and attestation (0x13) sign
 * requests forged by @taquito/local-forging (an independent implementation) from deterministic
 * pseudo-random contents, with Taquito's own parse of each as the expected decode.
 *
 * A vector is kept only if Taquito round-trips it: forge(parse(hex)) === hex.
 * Run: node packages/core/scripts/gen-vectors.js   (same seed -> same file)
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { LocalForger, ProtocolsHash } = require('@taquito/local-forging');
const bs58check = require('bs58check').default ?? require('bs58check');

const SEED = 0x5167a7;
const OUT = path.join(__dirname, '..', 'test', 'vectors', 'taquito-operations.json');

// seeded PRNG (mulberry32, shared with the property test), so the file is reproducible
const { prng } = require('./mutate');
const rand = prng(SEED);
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (xs) => xs[int(0, xs.length - 1)];
const bytes = (n) => Buffer.from(Array.from({ length: n }, () => int(0, 255)));
const hex = (n) => bytes(n).toString('hex');

// Base58check prefixes (Octez lib_crypto/base58.ml)
const P = {
  tz1: '06a19f',
  tz2: '06a1a1',
  tz3: '06a1a4',
  tz4: '06a1a6',
  KT1: '025a79',
  sr1: '067c75',
  edpk: '0d0f25d9',
  sppk: '03fee256',
  p2pk: '03b28b7f',
  BLpk: '069587cc',
  BLsig: '28ab40cf',
  B: '0134',
  P: '02aa',
  vh: '016af2',
  src1: '11a5868a',
  sh: '0274b4',
  Net: '575200',
};
const b58 = (prefix, payload) => bs58check.encode(Buffer.concat([Buffer.from(P[prefix], 'hex'), payload]));
const pkh = (t = pick(['tz1', 'tz2', 'tz3', 'tz4'])) => b58(t, bytes(20));
const kt1 = () => b58('KT1', bytes(20));
const ecKey = () => Buffer.concat([Buffer.from([pick([2, 3])]), bytes(32)]);
const publicKey = (t) =>
  t === 'tz1' ? b58('edpk', bytes(32)) : t === 'tz2' ? b58('sppk', ecKey()) : t === 'tz3' ? b58('p2pk', ecKey()) : b58('BLpk', bytes(48));
const branch = () => b58('B', bytes(32));

// Zarith amounts of every size class (1 byte .. 10 bytes, within int64 for mutez)
function mutez() {
  return pick([
    () => String(int(0, 127)),
    () => String(int(128, 1e6)),
    () => String(int(1e6, 2 ** 40)),
    () => (BigInt(int(0, 2 ** 31)) * BigInt(int(1, 2 ** 31))).toString(),
    () => ((1n << 63n) - 1n - BigInt(int(0, 1000))).toString(),
  ])();
}
const small = () => String(pick([0, 1, int(0, 127), int(128, 16383), int(16384, 2 ** 30)]));

const ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ .-:';
const str = (n) => Array.from({ length: n }, () => ASCII[int(0, ASCII.length - 1)]).join('');
function micheline(depth = 0) {
  const leaf = [
    () => ({ int: String(int(-1e6, 1e6)) }),
    () => ({ int: (BigInt(int(0, 2 ** 52)) ** 3n).toString() }),
    () => ({ string: str(int(0, 20)) }),
    () => ({ bytes: hex(int(0, 24)) }),
    () => ({ prim: pick(['Unit', 'True', 'False', 'None']) }),
  ];
  if (depth > 3) return pick(leaf)();
  return pick([
    ...leaf,
    () => ({ prim: 'Pair', args: [micheline(depth + 1), micheline(depth + 1)] }),
    () => ({ prim: pick(['Left', 'Right', 'Some']), args: [micheline(depth + 1)] }),
    () => Array.from({ length: int(0, 3) }, () => micheline(depth + 1)),
    () => ({ prim: 'Elt', args: [{ int: String(int(0, 99)) }, micheline(depth + 1)] }),
  ])();
}
function michelineType(depth = 0) {
  const annot = () => (rand() < 0.4 ? { annots: [`%${str(int(1, 6)).replace(/[^a-z0-9_]/gi, 'a')}`] } : {});
  if (depth > 2) return { prim: pick(['nat', 'int', 'string', 'bytes', 'unit', 'address', 'mutez']), ...annot() };
  return pick([
    () => ({ prim: pick(['nat', 'int', 'string', 'bytes', 'unit']), ...annot() }),
    () => ({ prim: 'pair', args: [michelineType(depth + 1), michelineType(depth + 1)], ...annot() }),
    () => ({ prim: pick(['option', 'list']), args: [michelineType(depth + 1)], ...annot() }),
    () => ({ prim: 'or', args: [michelineType(depth + 1), michelineType(depth + 1)] }),
  ])();
}
const code = () => [
  { prim: 'parameter', args: [michelineType()] },
  { prim: 'storage', args: [michelineType()] },
  { prim: 'code', args: [[{ prim: 'CDR' }, { prim: 'NIL', args: [{ prim: 'operation' }] }, { prim: 'PAIR' }]] },
];
const entrypointName = () =>
  pick(['mint', 'transfer', 'fulfill_ask', 'update_operators', 'a', str(int(1, 31)).replace(/[^A-Za-z0-9_]/g, '_')]);

function manager(kind, source = pkh()) {
  return { kind, source, fee: mutez(), counter: small(), gas_limit: small(), storage_limit: small() };
}

/** One generator per manager kind Taquito forges. */
const MANAGER = {
  reveal: () => {
    const t = pick(['tz1', 'tz2', 'tz3', 'tz4']);
    const op = { ...manager('reveal', pkh(t)), public_key: publicKey(t) };
    if (t === 'tz4') op.proof = b58('BLsig', bytes(96));
    return op;
  },
  transaction: () => {
    const op = { ...manager('transaction'), amount: mutez(), destination: rand() < 0.5 ? pkh() : kt1() };
    const r = rand();
    if (r < 0.3) op.parameters = { entrypoint: entrypointName(), value: micheline() };
    else if (r < 0.5)
      op.parameters = { entrypoint: pick(['default', 'root', 'do', 'deposit', 'set_delegate', 'remove_delegate']), value: micheline() };
    else if (r < 0.7) {
      // staking pseudo-operations: to the source itself
      op.destination = op.source;
      op.parameters = {
        entrypoint: pick(['stake', 'unstake', 'finalize_unstake', 'set_delegate_parameters']),
        value: pick([{ prim: 'Unit' }, { int: small() }, { prim: 'Pair', args: [{ int: small() }, { int: small() }] }]),
      };
    }
    return op;
  },
  origination: () => {
    const op = { ...manager('origination'), balance: mutez(), script: { code: code(), storage: micheline() } };
    if (rand() < 0.5) op.delegate = pkh();
    return op;
  },
  delegation: () => {
    const op = manager('delegation');
    if (rand() < 0.7) op.delegate = pkh();
    return op;
  },
  register_global_constant: () => ({ ...manager('register_global_constant'), value: micheline() }),
  transfer_ticket: () => ({
    ...manager('transfer_ticket'),
    ticket_contents: micheline(),
    ticket_ty: michelineType(),
    ticket_ticketer: kt1(),
    ticket_amount: String(int(1, 2 ** 40)),
    destination: rand() < 0.5 ? kt1() : pkh(),
    entrypoint: entrypointName(),
  }),
  set_deposits_limit: () => {
    const op = manager('set_deposits_limit');
    if (rand() < 0.7) op.limit = mutez();
    return op;
  },
  // Octez encodes this amount as a Zarith Z, Taquito as N; they agree only below 64.
  increase_paid_storage: () => ({ ...manager('increase_paid_storage'), amount: String(int(0, 63)), destination: kt1() }),
  update_consensus_key: () => {
    const t = pick(['tz1', 'tz2', 'tz3', 'tz4']);
    const op = { ...manager('update_consensus_key'), pk: publicKey(t) };
    if (t === 'tz4') op.proof = b58('BLsig', bytes(96));
    return op;
  },
  update_companion_key: () => ({ ...manager('update_companion_key'), pk: publicKey('tz4'), proof: b58('BLsig', bytes(96)) }),
  smart_rollup_originate: () => {
    const op = {
      ...manager('smart_rollup_originate'),
      pvm_kind: pick(['arith', 'wasm_2_0_0', 'riscv']),
      kernel: hex(int(0, 64)),
      parameters_ty: michelineType(),
    };
    if (rand() < 0.5) op.whitelist = Array.from({ length: int(1, 3) }, () => pkh());
    return op;
  },
  smart_rollup_add_messages: () => ({
    ...manager('smart_rollup_add_messages'),
    message: Array.from({ length: int(1, 4) }, () => hex(int(0, 40))),
  }),
  smart_rollup_execute_outbox_message: () => ({
    ...manager('smart_rollup_execute_outbox_message'),
    rollup: b58('sr1', bytes(20)),
    cemented_commitment: b58('src1', bytes(32)),
    output_proof: hex(int(0, 80)),
  }),
  dal_publish_commitment: () => ({
    ...manager('dal_publish_commitment'),
    slot_header: { slot_index: int(0, 255), commitment: b58('sh', bytes(48)), commitment_proof: hex(96) },
  }),
};

/** Operations that are not batched: each is the only content. */
const SINGLE = {
  ballot: () => ({
    kind: 'ballot',
    source: pkh(),
    period: int(0, 2 ** 31 - 1),
    proposal: b58('P', bytes(32)),
    ballot: pick(['yay', 'nay', 'pass']),
  }),
  proposals: () => ({
    kind: 'proposals',
    source: pkh(),
    period: int(0, 1000),
    proposals: Array.from({ length: int(1, 20) }, () => b58('P', bytes(32))),
  }),
  activate_account: () => ({ kind: 'activate_account', pkh: pkh('tz1'), secret: hex(20) }),
  seed_nonce_revelation: () => ({ kind: 'seed_nonce_revelation', level: int(0, 2 ** 31 - 1), nonce: hex(32) }),
  drain_delegate: () => ({ kind: 'drain_delegate', consensus_key: pkh(), delegate: pkh(), destination: pkh() }),
  failing_noop: () => ({ kind: 'failing_noop', arbitrary: hex(int(0, 100)) }),
};

/** The fields attestation and attestation_with_dal share. */
const attestationFields = () => ({
  slot: int(0, 65535),
  level: int(0, 2 ** 31 - 1),
  round: int(0, 100),
  block_payload_hash: b58('vh', bytes(32)),
});
/** Consensus contents: forged by Taquito, sent under 0x13 with a chain id. */
const CONSENSUS = {
  attestation: () => ({ kind: 'attestation', ...attestationFields() }),
  attestation_with_dal: () => ({
    kind: 'attestation_with_dal',
    ...attestationFields(),
    // Octez encodes the DAL bitset as a Zarith Z, Taquito 25 as N: they agree only below 64.
    // Larger values are covered by the hand-checked consensus vectors (E5).
    dal_attestation: String(int(0, 63)),
  }),
};

async function main() {
  const forger = new LocalForger(ProtocolsHash.PsUshuai9);
  const vectors = [];
  let rejected = 0;
  async function add(name, magic, chain, contents) {
    // keep a BLS proof only on the last operation (see the Taquito note below)
    contents = contents.filter((o, i) => o.proof === undefined || i === contents.length - 1);
    const b = branch();
    const body = await forger.forge({ branch: b, contents });
    let parsed;
    try {
      // Taquito 25 reads a BLS proof only when it ends the whole operation, so a tz4 reveal
      // in mid-batch does not parse there: such vectors are skipped and counted.
      parsed = await forger.parse(body);
      if ((await forger.forge(parsed)) !== body) throw new Error('no round trip');
    } catch {
      rejected++;
      return;
    }
    vectors.push({ name, hex: magic + chain + body, taquito: parsed });
  }
  const kinds = Object.keys(MANAGER);
  // every manager kind, 1-op
  for (let i = 0; i < 12; i++) for (const k of kinds) await add(`${k} #${i}`, '03', '', [MANAGER[k]()]);
  // batches of 2..6 mixed manager operations, then a few long ones
  for (let i = 0; i < 60; i++)
    await add(
      `batch #${i}`,
      '03',
      '',
      Array.from({ length: int(2, 6) }, () => MANAGER[pick(kinds)]()),
    );
  for (let i = 0; i < 30; i++)
    await add(
      `transaction batch #${i}`,
      '03',
      '',
      Array.from({ length: int(1, 8) }, () => MANAGER.transaction()),
    );
  for (let i = 0; i < 3; i++)
    await add(
      `long batch #${i}`,
      '03',
      '',
      Array.from({ length: int(20, 60) }, () => MANAGER[pick(kinds)]()),
    );
  for (let i = 0; i < 6; i++) for (const k of Object.keys(SINGLE)) await add(`${k} #${i}`, '03', '', [SINGLE[k]()]);
  for (let i = 0; i < 8; i++) {
    for (const k of Object.keys(CONSENSUS)) await add(`${k} #${i}`, '13', pick(['7a06a770', 'af1864d9', 'b3d79f99']), [CONSENSUS[k]()]);
  }
  const doc = {
    source:
      'Generated by packages/core/scripts/gen-vectors.js with @taquito/local-forging ' +
      `${require('@taquito/local-forging/package.json').version} (protocol ${ProtocolsHash.PsUshuai9}), seed 0x${SEED.toString(16)}. ` +
      '`hex` is the whole sign request (magic byte, chain id for 0x13); `taquito` is LocalForger.parse of the bytes after them. ' +
      'Only vectors Taquito parses with forge(parse(x)) === x are kept. Do not edit by hand; re-run the script.',
    count: vectors.length,
    vectors,
  };
  fs.writeFileSync(OUT, JSON.stringify(doc, null, 1) + '\n');
  console.log(`wrote ${vectors.length} vectors to ${path.relative(process.cwd(), OUT)} (${rejected} not round-tripping, skipped)`);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
