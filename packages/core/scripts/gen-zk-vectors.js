#!/usr/bin/env node
/**
 * Writes test/vectors/zk-rollup.json (ZK rollup operations, tags 250-252),
 * test/vectors/smart-rollup.json (smart rollup cement, publish, refute, timeout, recover_bond: tags
 * 202-205, 207), test/vectors/taquito-divergences.json (the encodings Taquito 25 reads differently
 * from Octez, see core's README) and test/vectors/evidence.json (double consensus operation, double
 * baking and DAL entrapment evidence: tags 2, 3, 24): operations and batches of them, each with the fields an independent parser read from
 * its bytes, and bytes that parser refuses, with its reason. The oracle is Octez's own Kaitai Struct
 * description of the operation encoding (generated in Octez from the same data-encoding definitions
 * octez-codec uses), compiled to JavaScript with kaitai-struct-compiler and run with the kaitai-struct
 * runtime (both root devDependencies). Taquito cannot forge these kinds and octez-codec is not
 * installable here, so this is what checks our decoder on them.
 *
 * The .ksy files are Octez's, not ours: they are not committed, nor is the parser generated from them.
 * Whoever regenerates gets them from
 *   repository  https://gitlab.com/tezos/tezos (GitHub mirror tezos/tezos-mirror)
 *   commit      5c3bce60631f2294825cbe0505ea34218766b91b (the last one holding them: its child
 *               0d15e9a63f "Client-libs/Kaitai: remove source directories" deleted the folder)
 *   path        client-libs/kaitai-struct-files/files/
 *   file        id_025__psgxqmsv__operation__unsigned.ksy, plus the two files it imports
 *               (block_header__shell.ksy, operation__shell_header.ksy) and theirs
 * U025 is the protocol our codec calls current (ushuaia); PsGXQmSv is its hash before Octez renamed
 * src/proto_025_PsGXQmSv to proto_025_PsUshuai (7a35b2250e). For example:
 *   git clone https://gitlab.com/tezos/tezos.git && cd tezos && mkdir /tmp/ksy && \
 *   for f in $(git ls-tree --name-only 5c3bce6063 client-libs/kaitai-struct-files/files/); do
 *     git show 5c3bce6063:$f > /tmp/ksy/$(basename $f); done
 *
 * One type of the .ksy is rewritten before compiling, where Octez's translator does not describe what
 * data-encoding writes: the `varopt` signature of an inlined consensus operation (see readVaroptAsOctez).
 *
 * Run: node packages/core/scripts/gen-zk-vectors.js --ksy-dir /tmp/ksy
 * No network is needed; the output depends only on the .ksy files, the cases below and the date it
 * records (today, UTC, unless --date is given: pass the recorded one to check a rerun gives the same file).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const compiler = require('kaitai-struct-compiler');
const KaitaiStream = require('kaitai-struct/KaitaiStream');
// js-yaml is declared by @signatory-ts/config (the package that reads YAML); resolve it from there.
const yaml = require(require.resolve('js-yaml', { paths: [path.join(__dirname, '..', '..', 'config')] }));

const VECTORS = path.join(__dirname, '..', 'test', 'vectors');
const SOURCE = {
  repository: 'https://gitlab.com/tezos/tezos (GitHub mirror: tezos/tezos-mirror)',
  commit: '5c3bce60631f2294825cbe0505ea34218766b91b',
  path: 'client-libs/kaitai-struct-files/files/',
  file: 'id_025__psgxqmsv__operation__unsigned.ksy',
  protocol: 'U025 (ushuaia, hash PsGXQmSv before its rename to PsUshuai)',
};
const SOURCE_COMMIT_DATE = '2026-04-14';
const PROTO_PREFIX = /id_025__psgxqmsv__|__025__psgxqmsv/g;

function usage(msg) {
  if (msg) console.error(`gen-zk-vectors: ${msg}\n`);
  console.error(
    [
      'usage: node packages/core/scripts/gen-zk-vectors.js --ksy-dir DIR [--date YYYY-MM-DD]',
      '',
      `DIR holds Octez's Kaitai Struct files: ${SOURCE.path} of ${SOURCE.repository}`,
      `at commit ${SOURCE.commit} (at least ${SOURCE.file} and the files it imports).`,
      'See the comment at the top of this script for a command that extracts them.',
    ].join('\n'),
  );
  process.exit(2);
}

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--ksy-dir' || a === '--date') {
      if (argv[i + 1] === undefined) usage(`${a} needs a value`);
      args[a.slice(2)] = argv[++i];
    } else usage(`unknown argument ${a}`);
  }
  if (!args['ksy-dir']) usage('--ksy-dir is required');
  if (!fs.existsSync(path.join(args['ksy-dir'], SOURCE.file))) usage(`${path.join(args['ksy-dir'], SOURCE.file)} does not exist`);
  return args;
}

// ---- bytes, written from the binary layout by the tests' own builder (test/hex-builder.js) ----
const { rep, u8, u16, i32, i64, dyn, zn, zz, pkh, BRANCH, managerHeader } = require('../test/hex-builder');
const ascii = (s) => Buffer.from(s, 'latin1').toString('hex');
const manager = ({ source = pkh(0), fee = 1000, counter = 7, gas = 1500, storage = 0 } = {}) =>
  managerHeader(source, fee, counter, gas, storage);

const S1 = rep('11', 32);
const S2 = rep('22', 32);
const S3 = rep('33', 32);
const ROLLUP = rep('cd', 20);

// zk_rollup_origination (250): public_parameters, circuits_info [(name, flag)], init_state [scalar], nb_ops int31
const origination = ({
  header = manager(),
  params = '0102ff',
  circuits = [
    ['main', 0],
    ['fees', 2],
  ],
  state = [S1, S2],
  nbOps = 4,
} = {}) => 'fa' + header + dyn(params) + dyn(circuits.map(([n, f]) => dyn(ascii(n)) + u8(f)).join('')) + dyn(state.join('')) + i32(nbOps);

// zk_rollup_publish (251): zk_rollup, op [(l2 op, ticket option)]
const l2op = ({ opCode = 1, id = rep('ee', 32), amount = 0, dst = pkh(1, '5b'), rollup = ROLLUP, payload = [] }) =>
  i32(opCode) + id + zz(amount) + dst + rollup + dyn(payload.join(''));
const NONE = '00';
const ticket = (contents, ty, ticketer) => '01' + contents + ty + ticketer;
const KT1 = (fill) => '01' + rep(fill, 20) + '00';
const mInt = (n) => '00' + zz(n);
const mString = (s) => '01' + dyn(ascii(s));
const mBytes = (h) => '0a' + dyn(h);
const mPrim = (code) => '03' + u8(code);
const mPrim2 = (code, a, b) => '07' + u8(code) + a + b;
const [NAT, STRING, BYTES, PAIR] = [98, 104, 105, 101];
const publish = ({ header = manager(), rollup = ROLLUP, ops } = {}) =>
  'fb' +
  header +
  rollup +
  dyn(
    (
      ops ?? [
        [l2op({ opCode: 1, amount: -5, payload: [S3] }), NONE],
        [l2op({ opCode: 2, amount: 300 }), ticket(mInt(7), mPrim(NAT), KT1('44'))],
      ]
    )
      .map((p) => p.join(''))
      .join(''),
  );

// zk_rollup_update (252): zk_rollup, { pending_pis [(name, {new_state, fee, exit_validity})], private_pis [(name, {new_state, fee})], fee_pi { new_state }, proof }
const pending = (name, state, fee, exit) => dyn(ascii(name)) + dyn(state.join('')) + fee + (exit ? 'ff' : '00');
const priv = (name, state, fee) => dyn(ascii(name)) + dyn(state.join('')) + fee;
const update = ({ header = manager(), rollup = ROLLUP, pendings, privates, feeState = [S2, S3], proof = 'abcdef' } = {}) =>
  'fc' +
  header +
  rollup +
  dyn((pendings ?? [pending('deposit', [S1], S2, true)]).join('')) +
  dyn((privates ?? [priv('transfer', [], S3)]).join('')) +
  dyn(feeState.join('')) +
  dyn(proof);

const delegation = (header = manager()) => '6e' + header + '00';

// The .ksy reads Zarith numbers of any length: it does not express Octez's `check_size 10` on the manager
// header's counter, gas and storage limits, nor the int64 range of mutez. The cases stay within them
// (the codec's refusals beyond them are tested in decode-errors.test.ts).
/**
 * Each case: name, the hex of each operation in its contents (after the 0x03 watermark and the branch),
 * and `REFUSED` when the oracle must refuse the bytes (our decoder must then refuse them too).
 */
const REFUSED = true;
const ZK_CASES = [
  // the byte strings test/zk-rollup.test.ts builds by hand
  ['origination: circuits public + fee (zk-rollup.test.ts)', origination()],
  [
    'origination: circuits private + private (zk-rollup.test.ts)',
    origination({
      circuits: [
        ['main', 1],
        ['fees', 1],
      ],
    }),
  ],
  ['publish: ticket None then Some, amounts -5 and 300 (zk-rollup.test.ts)', publish()],
  ['update: exit_validity true (zk-rollup.test.ts)', update()],
  ['update: exit_validity false (zk-rollup.test.ts)', update({ pendings: [pending('deposit', [S1], S2, false)] })],
  ['batch: origination, delegation, publish, update (zk-rollup.test.ts)', [origination(), delegation(), publish(), update()]],
  // every branch of the three encodings
  ['origination: everything empty, nb_ops 0', origination({ params: '', circuits: [], state: [], nbOps: 0 })],
  [
    'origination: three circuits (public, private, fee), one-scalar state, nb_ops max int31, tz2 source, max fee and 10-byte counter',
    origination({
      header: manager({ source: pkh(1, '01'), fee: 2n ** 63n - 1n, counter: 2n ** 70n - 1n, gas: 1040000, storage: 60000 }),
      params: rep('5a', 300),
      circuits: [
        ['a', 0],
        ['bb', 1],
        ['ccc', 2],
      ],
      state: [S3],
      nbOps: 0x3fffffff,
    }),
  ],
  [
    'origination: tz3 source, one circuit with an empty name',
    origination({ header: manager({ source: pkh(2, '02') }), circuits: [['', 2]], nbOps: 1 }),
  ],
  ['origination: tz4 source', origination({ header: manager({ source: pkh(3, '03'), fee: 0, counter: 0, gas: 0 }) })],
  [
    'origination: tz5 source',
    origination({ header: manager({ source: pkh(4, '04'), fee: 127, counter: 128, gas: 16383, storage: 16384 }) }),
  ],
  ['publish: empty op list', publish({ ops: [] })],
  [
    'publish: None tickets only, amounts 0, 63, 64, -64, -65, 2^70, -(2^64), every l1_dst key type',
    publish({
      ops: [
        [l2op({ opCode: 0, amount: 0, dst: pkh(0, '10') }), NONE],
        [l2op({ opCode: 3, amount: 63, dst: pkh(1, '11'), payload: [S1, S2] }), NONE],
        [l2op({ opCode: 4, amount: 64, dst: pkh(2, '12') }), NONE],
        [l2op({ opCode: 5, amount: -64, dst: pkh(3, '13') }), NONE],
        [l2op({ opCode: 6, amount: -65, dst: pkh(4, '14') }), NONE],
        [l2op({ opCode: 0x3fffffff, amount: 2n ** 70n, id: rep('01', 32), rollup: rep('02', 20) }), NONE],
        [l2op({ opCode: 7, amount: -(2n ** 64n) }), NONE],
      ],
    }),
  ],
  [
    'publish: Some tickets with string, bytes and pair contents, implicit and originated ticketers',
    publish({
      header: manager({ source: pkh(3, '77') }),
      rollup: rep('9a', 20),
      ops: [
        [l2op({ amount: 1 }), ticket(mString('ticket'), mPrim(STRING), KT1('45'))],
        [l2op({ amount: -1 }), ticket(mBytes('00ff'), mPrim(BYTES), '00' + pkh(0, '46'))],
        [
          l2op({ amount: 2n ** 40n }),
          ticket(mPrim2(PAIR, mInt(-300), mString('')), mPrim2(PAIR, mPrim(NAT), mPrim(STRING)), '00' + pkh(4, '47')),
        ],
      ],
    }),
  ],
  [
    'update: empty pending and private lists, empty fee state, empty proof',
    update({ pendings: [], privates: [], feeState: [], proof: '' }),
  ],
  [
    'update: several pending (true, false) and private entries',
    update({
      header: manager({ source: pkh(2, 'c1') }),
      rollup: rep('0f', 20),
      pendings: [pending('deposit', [S1, S2, S3], S1, true), pending('withdraw', [], S2, false), pending('', [S3], S3, true)],
      privates: [priv('transfer', [S1], S2), priv('swap', [S2, S3], S1)],
      feeState: [S1],
      proof: rep('99', 200),
    }),
  ],
  ['batch: publish, update, origination, publish', [publish({ ops: [] }), update(), origination({ nbOps: 2 }), publish()]],
  ['batch: two updates', [update({ pendings: [], privates: [] }), update()]],
  // bytes the encoding does not allow
  ['refused: nb_ops above int31', origination({ nbOps: 0x40000000 }), REFUSED],
  ['refused: nb_ops below int31', origination({ nbOps: -0x40000001 }), REFUSED],
  ['refused: circuit flag 3', origination({ circuits: [['main', 3]] }), REFUSED],
  ['refused: ticket option tag 2', publish({ ops: [[l2op({}), '02']] }), REFUSED],
  ['refused: exit_validity 0x01', update({ pendings: [pending('deposit', [S1], S2, true).slice(0, -2) + '01'] }), REFUSED],
  ['refused: l1_dst key tag 5', publish({ ops: [[l2op({ dst: pkh(5) }), NONE]] }), REFUSED],
  ['refused: op_code above int31', publish({ ops: [[l2op({ opCode: 0x40000000 }), NONE]] }), REFUSED],
  ['refused: proof length above 2^30 - 1', update().slice(0, -14) + 'ffffffff' + 'abcdef', REFUSED],
];

// ---- smart rollup operations (tags 202-205, 207), which Taquito cannot forge either ----
const SR = rep('5e', 20);
const H = (b) => rep(b, 32);
const i16 = (n) => ((n & 0xffff) >>> 0).toString(16).padStart(4, '0');
const cement = (header = manager(), rollup = SR) => 'ca' + header + rollup;
const srPublish = ({ header = manager(), state = H('a1'), level = 1000, pred = H('a2'), ticks = 5000 } = {}) =>
  'cb' + header + SR + state + i32(level) + pred + i64(ticks);
const refute = (refutation, { header = manager(), opponent = pkh(1, 'b0') } = {}) => 'cc' + header + SR + opponent + refutation;
const start = (player, opp) => '00' + player + opp;
const move = (choice, step) => '01' + zn(choice) + step;
const dissection = (chunks) => '00' + dyn(chunks.map(([state, tick]) => (state ? 'ff' + state : '00') + zn(tick)).join(''));
const proofStep = (pvmStep, inputProof) => '01' + dyn(pvmStep) + (inputProof === undefined ? '00' : 'ff' + inputProof);
const inboxProof = (level, counter, proof) => '00' + i32(level) + zn(counter) + dyn(proof);
const revealRaw = (hex) => '01' + '00' + u16(hex.length / 2) + hex;
const revealMetadata = '01' + '01';
const revealDalPage = (level, slot, page, proof) => '01' + '02' + i32(level) + u8(slot) + i16(page) + dyn(proof);
const revealDalParameters = '01' + '03';
const FIRST_INPUT = '02';
const timeout = (alice, bob, header = manager()) => 'cd' + header + SR + alice + bob;
const recoverBond = (staker, header = manager()) => 'cf' + header + SR + staker;

const SMART_ROLLUP_CASES = [
  ['cement', cement()],
  ['cement: tz4 source, large fee', cement(manager({ source: pkh(3, '31'), fee: 2n ** 63n - 1n }))],
  ['publish', srPublish()],
  ['publish: level 0, ticks 0', srPublish({ level: 0, ticks: 0 })],
  [
    'publish: negative level and ticks, max ticks',
    [srPublish({ level: -1, ticks: -1 }), srPublish({ level: 0x7fffffff, ticks: 2n ** 63n - 1n })],
  ],
  ['refute: start', refute(start(H('c1'), H('c2')))],
  ['refute: move, empty dissection', refute(move(0, dissection([])))],
  [
    'refute: move, dissection with and without states, large ticks',
    refute(
      move(
        2n ** 60n,
        dissection([
          [H('d1'), 0],
          [undefined, 1],
          [H('d2'), 2n ** 69n],
          [undefined, 127],
        ]),
      ),
      { opponent: pkh(4, 'b4') },
    ),
  ],
  ['refute: move, proof without input proof', refute(move(1, proofStep('0102', undefined)))],
  ['refute: move, proof with an inbox proof', refute(move(3, proofStep('', inboxProof(77, 2n ** 40n, 'beef'))))],
  ['refute: move, proof with a raw data reveal', refute(move(4, proofStep('aa', revealRaw('00ff'))))],
  ['refute: move, proof with an empty raw data reveal', refute(move(4, proofStep('aa', revealRaw(''))))],
  ['refute: move, proof with a 4096-byte raw data reveal', refute(move(4, proofStep('aa', revealRaw(rep('7a', 4096)))))],
  ['refute: move, proof with a metadata reveal', refute(move(5, proofStep(rep('bb', 40), revealMetadata)))],
  ['refute: move, proof with a DAL page reveal', refute(move(6, proofStep('cc', revealDalPage(123456, 31, 4095, 'dd'))))],
  ['refute: move, proof with a DAL page reveal, negative page index', refute(move(6, proofStep('cc', revealDalPage(-1, 255, -2, ''))))],
  ['refute: move, proof with a DAL parameters reveal', refute(move(7, proofStep('', revealDalParameters)))],
  ['refute: move, proof with the first input', refute(move(8, proofStep('ee', FIRST_INPUT)))],
  ['timeout', timeout(pkh(0, 'e0'), pkh(1, 'e1'))],
  ['timeout: tz3 and tz5', timeout(pkh(2, 'e2'), pkh(4, 'e4'))],
  ['recover_bond', recoverBond(pkh(3, 'f3'))],
  ['recover_bond: tz5 staker', recoverBond(pkh(4, 'f4'), manager({ source: pkh(4, 'f5') }))],
  [
    'batch: every smart rollup kind here',
    [cement(), srPublish(), refute(start(H('c1'), H('c2'))), timeout(pkh(0, 'e0'), pkh(1, 'e1')), recoverBond(pkh(2, 'f2'))],
  ],
  // bytes the encoding does not allow
  ['refused: raw data reveal of 4097 bytes', refute(move(4, proofStep('aa', revealRaw(rep('7a', 4097))))), REFUSED],
  ['refused: refutation tag 2', refute('02' + H('c1') + H('c2')), REFUSED],
  ['refused: step tag 2', refute(move(1, '02' + dyn(''))), REFUSED],
  ['refused: input proof tag 3', refute(move(1, proofStep('', '03'))), REFUSED],
  ['refused: reveal proof tag 4', refute(move(1, proofStep('', '01' + '04'))), REFUSED],
  ['refused: dissection state tag 0x01', refute(move(1, '00' + dyn('01' + H('d1') + zn(1)))), REFUSED],
  ['refused: input proof option tag 0x01', refute(move(1, '01' + dyn('') + '01' + FIRST_INPUT)), REFUSED],
  ['refused: staker key tag 5', recoverBond(pkh(5)), REFUSED],
];

// ---- where Taquito 25 differs from Octez (core README), settled by the oracle ----
const reveal = (keyTag, keyHex, proof, header = manager({ source: pkh(keyTag, 'a9') })) =>
  '6b' + header + u8(keyTag) + keyHex + (proof === undefined ? '00' : 'ff' + dyn(proof));
const srOriginate = ({ pvm = 1, kernel = 'beef', ty = '0362', whitelist } = {}) =>
  'c8' + manager() + u8(pvm) + dyn(kernel) + dyn(ty) + (whitelist === undefined ? '00' : 'ff' + dyn(whitelist.join('')));
const paidStorage = (amount, destination = KT1('6c')) => '71' + manager() + zz(amount) + destination;

const TAQUITO_DIVERGENCE_CASES = [
  ['reveal: tz4 with its proof, then a delegation', [reveal(3, rep('b1', 48), rep('b2', 96)), delegation()]],
  ['reveal: tz1 without a proof, then a delegation', [reveal(0, rep('e1', 32), undefined), delegation()]],
  [
    'smart_rollup_originate: whitelist of tz1 and tz4, then a delegation',
    [srOriginate({ whitelist: [pkh(0, '21'), pkh(3, '24')] }), delegation()],
  ],
  ['smart_rollup_originate: empty whitelist, arith', [srOriginate({ pvm: 0, whitelist: [] }), delegation()]],
  ['smart_rollup_originate: no whitelist, riscv, empty kernel', srOriginate({ pvm: 2, kernel: '' })],
  ['increase_paid_storage: amounts 63, 64, -1, -64, 2^70', [63, 64, -1, -64, 2n ** 70n].map((a) => paidStorage(a))],
  // bytes the encoding does not allow
  ['refused: reveal proof of 95 bytes', reveal(3, rep('b1', 48), rep('b2', 95)), REFUSED],
  ['refused: reveal proof presence byte 0x01', reveal(0, rep('e1', 32), undefined).slice(0, -2) + '01', REFUSED],
  ['refused: pvm kind 3', srOriginate({ pvm: 3 }), REFUSED],
  ['refused: whitelist key tag 5', srOriginate({ whitelist: [pkh(5)] }), REFUSED],
  ['refused: increase_paid_storage to an implicit account', paidStorage(1, '00' + pkh(0)), REFUSED],
];

// ---- evidence (tags 2, 3, 24), which Taquito cannot forge: inlined consensus operations and signed block headers ----
const SIG = rep('5a', 64);
const BLSIG = rep('6b', 96);
const consensus = ({ slot = 3, level = 100, round = 0, payload = H('11') } = {}) => u16(slot) + i32(level) + i32(round) + payload;
const aggregateContent = ({ level = 100, round = 0, payload = H('11') } = {}) => i32(level) + i32(round) + payload;
// inlined consensus operations: branch, tag and content, then the signature (the rest of the region)
const inlined = (contents, signature = SIG, branch = H('b0')) => dyn(branch + contents + signature);
const preattestation = (c) => '14' + consensus(c);
const attestation = (c) => '15' + consensus(c);
const attestationWithDal = (c, dal) => '17' + consensus(c) + zz(dal);
const preattestationsAggregate = (c, committee) => '1e' + aggregateContent(c) + dyn(committee.map(u16).join(''));
const attestationsAggregate = (c, committee) =>
  '1f' + aggregateContent(c) + dyn(committee.map(([slot, dal]) => u16(slot) + (dal === undefined ? '00' : 'ff' + zz(dal))).join(''));
const doubleConsensus = (slot, op1, op2) => '02' + u16(slot) + op1 + op2;
// a Tenderbake block header: fitness [02][level][locked round?][-predecessor round - 1][round]
const fitness = (level, { locked, predRound = 0, round = 0 } = {}) =>
  dyn(dyn('02') + dyn(i32(level)) + dyn(locked === undefined ? '' : i32(locked)) + dyn(i32(-predRound - 1)) + dyn(i32(round)));
const blockHeader = ({ level = 9, proto = 24, timestamp = 1767225600n, fit = {}, payloadRound = 0, seed, votes = 2 } = {}) =>
  i32(level) +
  u8(proto) +
  H('22') +
  i64(timestamp) +
  '04' +
  H('33') +
  fitness(level, fit) +
  H('44') +
  H('55') +
  i32(payloadRound) +
  rep('a7', 8) +
  (seed === undefined ? '00' : 'ff' + seed) +
  u8(votes);
const doubleBaking = (bh1, bh2) => '03' + dyn(bh1) + dyn(bh2);
const entrapment = ({
  att = inlined(attestation()),
  consensusSlot = 3,
  slotIndex = 9,
  lag,
  lagTag,
  index = 12,
  share = [H('01'), H('02')],
} = {}) =>
  '18' +
  att +
  u16(consensusSlot) +
  u8(slotIndex) +
  (lagTag ?? (lag === undefined ? '00' : 'ff' + u8(lag))) +
  i32(index) +
  dyn(share.join('')) +
  rep('03', 48);

// What the .ksy does not express and the cases therefore stay within (our refusals beyond are tested in
// evidence-vectors.test.ts): levels and rounds are int32 there, non-negative in Octez (raw_level_repr.ml and
// round_repr.ml refuse negative ones while decoding, as ours does); the fitness is a list of bytes there,
// which ours checks is a Tenderbake fitness for the header's level, with a payload round not above its round;
// a signature is any rest of its region there, 64 or 96 bytes in ours, and may be absent in Octez (a varopt
// with no bytes left) where ours refuses it.
const EVIDENCE_CASES = [
  [
    'double consensus: two attestations',
    doubleConsensus(5, inlined(attestation({ slot: 5 })), inlined(attestation({ slot: 5, payload: H('12') }))),
  ],
  [
    'double consensus: two preattestations, BLS signatures, round 3, slot 0',
    doubleConsensus(
      0,
      inlined(preattestation({ slot: 0, round: 3 }), BLSIG),
      inlined(preattestation({ slot: 0, round: 3, payload: H('13') }), BLSIG),
    ),
  ],
  [
    'double consensus: attestations with DAL content 0 and 2^70, levels 0 and 2^31 - 1',
    doubleConsensus(
      7,
      inlined(attestationWithDal({ slot: 7, level: 0 }, 0)),
      inlined(attestationWithDal({ slot: 65535, level: 0x7fffffff, round: 2 }, 2n ** 70n), BLSIG, H('b1')),
    ),
  ],
  [
    'double consensus: preattestations aggregates, empty and three-member committees',
    doubleConsensus(
      1,
      inlined(preattestationsAggregate({}, []), BLSIG),
      inlined(preattestationsAggregate({ round: 1 }, [0, 7, 65535]), BLSIG),
    ),
  ],
  [
    'double consensus: attestations aggregates, with and without DAL attestations',
    doubleConsensus(
      2,
      inlined(
        attestationsAggregate({ level: 1331 }, [
          [0, undefined],
          [23, 2048],
          [51, 0],
        ]),
        BLSIG,
      ),
      inlined(attestationsAggregate({ level: 1331, payload: H('14') }, [[9, -64]]), BLSIG),
    ),
  ],
  [
    'double baking: two headers, BLS and generic signatures, with and without a seed nonce hash',
    doubleBaking(blockHeader() + BLSIG, blockHeader({ seed: H('5e'), votes: 0, payloadRound: 0 }) + SIG),
  ],
  [
    'double baking: locked round, round 4, payload round 4, vote off, proto 0, timestamp 0',
    doubleBaking(
      blockHeader({ level: 1000, proto: 0, timestamp: 0, fit: { locked: 2, predRound: 5, round: 4 }, payloadRound: 4, votes: 1 }) + SIG,
      blockHeader({ level: 1000, fit: { round: 4 }, payloadRound: 3 }) + SIG,
    ),
  ],
  ['dal_entrapment_evidence: lag index, two-scalar share', entrapment({ lag: 4 })],
  [
    'dal_entrapment_evidence: no lag index, empty share, index 0, BLS-signed attestation with DAL content',
    entrapment({ att: inlined(attestationWithDal({ slot: 3 }, 5), BLSIG), consensusSlot: 65535, slotIndex: 255, index: 0, share: [] }),
  ],
  ['dal_entrapment_evidence: lag index 255, max int31 index, one scalar', entrapment({ lag: 255, index: 0x3fffffff, share: [H('fe')] })],
  // bytes the encoding does not allow
  ['refused: inlined consensus tag 22', doubleConsensus(5, inlined('16' + consensus()), inlined(attestation())), REFUSED],
  ['refused: inlined operation length above 2^30 - 1', '02' + u16(5) + 'ffffffff' + inlined(attestation()).slice(8), REFUSED],
  [
    'refused: aggregate DAL attestation presence byte 0x01',
    doubleConsensus(2, inlined('1f' + aggregateContent() + dyn(u16(1) + '01')), inlined(attestation())),
    REFUSED,
  ],
  [
    'refused: block header seed nonce hash presence byte 0x01',
    doubleBaking(blockHeader().slice(0, -4) + '01' + H('5e') + '02' + SIG, blockHeader() + SIG),
    REFUSED,
  ],
  ['refused: per-block votes 3', doubleBaking(blockHeader({ votes: 3 }) + SIG, blockHeader() + SIG), REFUSED],
  ['refused: entrapment lag index presence byte 0x02', entrapment({ lagTag: '02' }), REFUSED],
  ['refused: entrapment shard index above int31', entrapment({ index: 0x40000000 }), REFUSED],
  ['refused: entrapment share of 33 bytes', entrapment({ share: [H('01') + '02'] }), REFUSED],
];

/** The vector files: name, what they hold, cases. */
const FILES = [
  ['zk-rollup.json', 'ZK rollup operations (tags 250-252)', ZK_CASES],
  ['smart-rollup.json', 'smart rollup cement, publish, refute, timeout and recover_bond (tags 202-205, 207)', SMART_ROLLUP_CASES],
  [
    'taquito-divergences.json',
    'the encodings Taquito 25 reads differently from Octez: reveal with a BLS proof and smart_rollup_originate with a whitelist inside a batch, increase_paid_storage amounts as Zarith Z',
    TAQUITO_DIVERGENCE_CASES,
  ],
  [
    'evidence.json',
    'evidence operations (tags 2, 3, 24): double consensus operation (every inlined consensus kind), double baking and DAL entrapment evidence',
    EVIDENCE_CASES,
  ],
];

// ---- the oracle: compile the .ksy, parse, normalise its reading to plain JSON ----
const camel = (id) =>
  id
    .split('_')
    .filter(Boolean)
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');

/**
 * Octez's Kaitai translator gives a `varopt` field the presence byte of an `opt` one, but data-encoding
 * writes a varopt without one: it is present when bytes remain in its region, absent when none do. The
 * one varopt of the U025 operation encoding is the signature of an inlined consensus operation (the
 * evidence kinds' op1, op2 and attestation): `varopt "signature" Signature.encoding` at the end of
 * "inlined.consensus_operation" in src/proto_025_PsGXQmSv/lib_protocol/operation_repr.ml at the source
 * commit (the block header's signature is a `req`). So, before compiling, this rewrites that one type as
 * Octez writes it: the presence byte dropped, the signature the rest of the region (size-eos, as the
 * .ksy already reads it once present). It checks the type is exactly what it expects and stops otherwise;
 * nothing else of the .ksy changes, and the oracle still reads every other byte as Octez describes it.
 */
const INLINED_CONSENSUS = 'id_025__psgxqmsv__inlined__consensus_operation';
function readVaroptAsOctez(main) {
  const type = main.types?.[INLINED_CONSENSUS];
  const expected = [
    { id: INLINED_CONSENSUS, type: 'operation__shell_header' },
    { id: 'operations', type: `${INLINED_CONSENSUS}__contents` },
    { id: 'signature_tag', type: 'u1', enum: 'bool' },
    { id: 'signature', 'size-eos': true, if: '(signature_tag == bool::true)' },
  ];
  if (JSON.stringify(type?.seq) !== JSON.stringify(expected)) {
    throw new Error(`${INLINED_CONSENSUS} in ${SOURCE.file} is not the one this script rewrites (see readVaroptAsOctez)`);
  }
  type.seq = [expected[0], expected[1], { id: 'signature', 'size-eos': true }];
}

async function compileOracle(ksyDir) {
  const loaded = new Map();
  const load = (name) => {
    const file = path.join(ksyDir, `${name}.ksy`);
    if (!fs.existsSync(file)) usage(`${file} does not exist (the operation description imports it, directly or not)`);
    if (!loaded.has(name)) loaded.set(name, yaml.load(fs.readFileSync(file, 'utf8')));
    return loaded.get(name);
  };
  const main = load(SOURCE.file.replace(/\.ksy$/, ''));
  readVaroptAsOctez(main);
  // debug mode: the parser records where it read each field (used for the length prefixes below)
  const files = await compiler.compile('javascript', main, { importYaml: (name) => Promise.resolve(load(name)) }, true);
  // a field that is the rest of its region behind a presence byte is how the translator writes a varopt:
  // any other than the one rewritten is one this script does not know
  for (const ksy of loaded.values()) {
    for (const [id, t] of [['(top)', ksy], ...Object.entries(ksy.types ?? {})]) {
      const odd = (t.seq ?? []).find((a) => a['size-eos'] && a.if);
      if (odd)
        throw new Error(`${ksy.meta.id} ${id}.${odd.id}: an optional rest-of-region field, perhaps a varopt (see readVaroptAsOctez)`);
    }
  }
  // Evaluate the generated UMD modules in memory (nothing is written), resolving their requires among themselves.
  const modules = new Map();
  const req = (name) => {
    if (name === 'kaitai-struct/KaitaiStream') return ExactStream;
    const file = `${path.basename(name)}.js`;
    if (!modules.has(file)) {
      const mod = { exports: {} };
      modules.set(file, mod);
      new Function('exports', 'require', 'self', files[file])(mod.exports, req, undefined);
    }
    return modules.get(file).exports;
  };
  const top = camel(main.meta.id);
  const Parser = req(`./${top}`)[top];
  // ksy types and enums by generated class name, to name enum values and recognise Zarith numbers
  const types = new Map();
  const enums = new Map();
  for (const ksy of loaded.values()) {
    types.set(camel(ksy.meta.id), ksy);
    for (const [id, t] of Object.entries(ksy.types ?? {})) types.set(camel(id), t);
    for (const [id, e] of Object.entries(ksy.enums ?? {})) enums.set(id, e);
  }
  return { Parser, types, enums };
}

const strip = (name) => name.replace(PROTO_PREFIX, '');

/** Zarith natural from Kaitai's `n` (7-bit groups, least significant first). */
const natOf = (chunks) => chunks.reduceRight((acc, c) => (acc << 7n) | BigInt(c.payload), 0n);
/** Zarith integer from Kaitai's `z` (sign bit, 6-bit payload, then 7-bit groups). */
function intOf(z) {
  const mag = BigInt(z.payload) | (z.hasTail ? natOf(z.tail) << 6n : 0n);
  return z.sign ? -mag : mag;
}

function normalise(oracle, v) {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map((x) => normalise(oracle, x));
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v;
  const cls = v.constructor.name;
  if (cls === 'N') return natOf(v.n).toString();
  if (cls === 'Z') return intOf(v).toString();
  const spec = oracle.types.get(cls);
  if (!spec) throw new Error(`no ksy type for class ${cls}`);
  const out = {};
  for (const attr of spec.seq ?? []) {
    const key = camel(attr.id).replace(/^./, (c) => c.toLowerCase());
    if (!(key in v) || v[key] === undefined) continue; // an `if:` branch not taken
    if (attr.id.startsWith('len_')) continue; // a length prefix: framing, checked by the parser
    let value = v[key];
    if (attr.enum) {
      const e = oracle.enums.get(attr.enum)[value];
      if (e === undefined) throw new Error(`${strip(attr.id)}: ${value} is not in enum ${strip(attr.enum)} (refusalOf missed it)`);
      value = strip(typeof e === 'object' ? e.id : String(e));
    } else value = normalise(oracle, value);
    out[strip(attr.id)] = value;
  }
  // Kaitai's wrapper types (a length prefix and one field, or a one-field struct) read as their field;
  // a union's tag alone (a case without fields) stays an object
  const keys = Object.keys(out);
  const only = keys.length === 1 ? spec.seq.find((a) => strip(a.id) === keys[0]) : undefined;
  return only && !(only.enum && only.id.endsWith('_tag')) ? out[keys[0]] : out;
}

/**
 * The kaitai-struct runtime reads 64-bit integers into JS numbers, which round above 2^53 (documented
 * JS limitation); the oracle reads them exactly, as BigInt. Nothing else of the runtime changes.
 */
class ExactStream extends KaitaiStream {
  readS8be() {
    return Buffer.from(this.readBytes(8)).readBigInt64BE();
  }
  readU8be() {
    return Buffer.from(this.readBytes(8)).readBigUInt64BE();
  }
}

/** The errors the kaitai-struct runtime throws for bytes it cannot read (anything else is a bug here). */
const KAITAI_ERRORS = {
  EOFError: 'eof',
  ValidationGreaterThanError: 'greater_than',
  ValidationLessThanError: 'less_than',
};

/**
 * Every field the parser started reading, in reading order (a pre-order walk of the tree, partial when
 * the parse failed: the generated code attaches each object and records where each field starts before
 * reading it): its path from the root, its .ksy attribute, its value, and its byte offset.
 */
function fieldsRead(oracle, v, at = [], out = []) {
  const spec = oracle.types.get(v.constructor.name);
  for (const attr of spec?.seq ?? []) {
    const key = camel(attr.id).replace(/^./, (c) => c.toLowerCase());
    const debug = v._debug?.[key];
    if (debug === undefined) continue; // an `if:` branch not taken, or not reached
    const path = [...at, strip(attr.id)];
    out.push({ path: path.join('.'), attr, value: v[key], offset: debug.ioOffset + debug.start, done: debug.end !== undefined });
    const value = v[key];
    if (Array.isArray(value)) value.forEach((x, i) => x !== null && typeof x === 'object' && fieldsRead(oracle, x, [...path, i], out));
    else if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) fieldsRead(oracle, value, path, out);
  }
  return out;
}

const notInEnum = (oracle, f) => f.attr.enum && f.done && oracle.enums.get(f.attr.enum)[f.value] === undefined;

/**
 * Why the oracle refuses `hex`, or undefined when it reads it. Kaitai does not check that an enum value
 * is in its enum (it reads on, misaligned, and may fail later for another reason), so the first field
 * read with a value outside its enum is the refusal when there is one (Octez's data-encoding stops
 * there); then a runtime error (end of input, a `valid` bound), at the last field started; then bytes
 * left after the operation. `offset` is in the whole sign request (0x03 first), `path` the .ksy
 * attribute ids from the root (array indices included).
 */
function refusalOf(oracle, hex) {
  const parsed = new oracle.Parser(new ExactStream(Uint8Array.from(Buffer.from(hex, 'hex')).buffer));
  let error;
  try {
    parsed._read();
  } catch (e) {
    if (!(e.name in KAITAI_ERRORS)) throw e;
    error = e;
  }
  const fields = fieldsRead(oracle, parsed);
  const at = (f) => ({ path: f.path, offset: f.offset + 1 });
  const badEnum = fields.find((f) => notInEnum(oracle, f));
  if (badEnum) {
    const message = `${strip(badEnum.attr.id)}: ${badEnum.value} is not in enum ${strip(badEnum.attr.enum)}`;
    return { error: 'not_in_enum', ...at(badEnum), enum: strip(badEnum.attr.enum), message };
  }
  if (error) return { error: KAITAI_ERRORS[error.name], ...at(fields[fields.length - 1]), message: `${error.name}: ${error.message}` };
  if (!parsed._io.isEof()) return { error: 'bytes_left', path: '', offset: parsed._io.pos + 1, message: 'bytes left unread' };
  return undefined;
}

function read(oracle, hex) {
  const refusal = refusalOf(oracle, hex);
  if (refusal) throw new Error(`the oracle refuses ${hex}: ${refusal.message}`);
  const parsed = new oracle.Parser(new ExactStream(Uint8Array.from(Buffer.from(hex, 'hex')).buffer));
  parsed._read();
  return parsed;
}

/**
 * Where the oracle read each length prefix whose region holds structured content (not raw bytes):
 * [byte offset in the parsed bytes, prefix size (4 or 2), the length it declares].
 */
function lengthPrefixes(oracle, v, out = []) {
  if (Array.isArray(v)) v.forEach((x) => lengthPrefixes(oracle, x, out));
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return out;
  const spec = oracle.types.get(v.constructor.name);
  for (const attr of spec?.seq ?? []) {
    const key = camel(attr.id).replace(/^./, (c) => c.toLowerCase());
    if (v[key] === undefined) continue;
    const region = attr.id.startsWith('len_') ? spec.seq.find((a) => a.size === attr.id) : undefined;
    const raw = (type) => oracle.types.get(camel(type))?.seq?.every((a) => a['size-eos'] && !a.type);
    if (region?.type && !raw(region.type)) {
      const at = v._debug[key];
      out.push([at.ioOffset + at.start, at.end - at.start, Number(v[key])]);
    }
    lengthPrefixes(oracle, v[key], out);
  }
  return out;
}

function vectorOf(oracle, [name, ops, refused]) {
  ops = [ops].flat();
  const hex = '03' + BRANCH + ops.join('');
  const refusal = refusalOf(oracle, BRANCH + ops.join(''));
  if (refused) {
    if (refusal) return { name, hex, kaitaiRefusal: refusal };
    throw new Error(`${name}: the oracle reads it, but the case says it must refuse it`);
  }
  if (refusal) throw new Error(`${name}: the oracle refuses it (${refusal.message}), but the case says it must read it`);
  const parsed = read(oracle, BRANCH + ops.join(''));
  const kaitai = normalise(oracle, parsed);
  // offsets in `hex`, which starts with 0x03
  const prefixes = lengthPrefixes(oracle, parsed)
    .map(([at, size, length]) => [at + 1, size, length])
    .sort((a, b) => a[0] - b[0]);
  // each operation of a batch, read alone, reads as it does inside the batch: the lengths below are the oracle's
  ops.forEach((op, i) => {
    const alone = normalise(oracle, read(oracle, BRANCH + op)).contents;
    if (alone.length !== 1 || JSON.stringify(alone[0]) !== JSON.stringify(kaitai.contents[i])) {
      throw new Error(`${name}: operation ${i} reads differently alone`);
    }
  });
  return { name, hex, opLengths: ops.map((op) => op.length / 2), lengthPrefixes: prefixes, kaitai };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const oracle = await compileOracle(args['ksy-dir']);
  for (const [fileName, holds, cases] of FILES) {
    const vectors = cases.map((c) => vectorOf(oracle, c));
    const file = {
      source: {
        holds,
        ...SOURCE,
        compiler: `kaitai-struct-compiler ${compiler.version} (built ${compiler.buildDate}), kaitai-struct runtime ${require('kaitai-struct/package.json').version}`,
        commitDate: SOURCE_COMMIT_DATE,
        rewritten: `before compiling, ${INLINED_CONSENSUS} (an inlined consensus operation) reads its varopt signature as Octez writes it: no presence byte, the rest of its region (see readVaroptAsOctez); nothing else of the .ksy is changed`,
        generated: args.date ?? new Date().toISOString().slice(0, 10),
        regenerate: 'node packages/core/scripts/gen-zk-vectors.js --ksy-dir DIR (DIR: the .ksy files above; see the script)',
        note: '`hex` is the whole sign request (0x03, branch, contents); `opLengths` the byte length of each operation in the contents, in order; `lengthPrefixes` [byte offset in `hex`, prefix size, declared length] of each length-prefixed region the oracle read whose content is structured (not raw bytes). `kaitai` is what the compiled .ksy read from the bytes after 0x03: Zarith and integers as decimal strings, bytes as hex, enums by their .ksy names, length prefixes dropped and one-field wrapper types unwrapped, protocol prefixes removed from names. `kaitaiRefusal` (instead of `kaitai`): why the oracle refused the bytes: `error` (not_in_enum: the first field read whose value is outside its .ksy enum, `enum` naming it; eof: the input or a length-prefixed region ends inside the field; greater_than / less_than: a `valid` bound of the field; bytes_left: bytes after the operations), `path` the .ksy attribute ids from the top to that field (array indices included), `offset` its first byte in `hex`, `message` the error text.',
      },
      count: vectors.length,
      vectors,
    };
    fs.writeFileSync(path.join(VECTORS, fileName), JSON.stringify(file, null, 1) + '\n');
    console.log(`wrote ${vectors.length} vectors to ${path.relative(process.cwd(), path.join(VECTORS, fileName))}`);
  }
}

main().catch((e) => {
  console.error(`gen-zk-vectors: ${e.stack ?? e}`);
  process.exit(1);
});
