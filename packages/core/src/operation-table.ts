import { readBlockHeader } from './block';
import { CONSENSUS_CONTENT_NAMES, CONSENSUS_TAGS, consensusTags, readConsensusContent } from './consensus';
import { orList } from './decode-error';
import {
  ballotVote,
  bool,
  blsProof,
  contract,
  dynHex,
  dynList,
  dynString,
  enumeration,
  hash,
  i32,
  i64,
  int,
  int31,
  label,
  lazyExpr,
  michelineExpr,
  mutez,
  nat,
  natCapped,
  option,
  originatedContract,
  parameters,
  pkh,
  positiveNat,
  publicKey,
  rawHex,
  readFields,
  record,
  trailingSignature,
  tuple,
  u16,
  u8,
  union,
  type FieldCodec,
} from './field-codecs';
import type { Reader } from './reader';

/**
 * The operation table, as data: each generic-operation tag maps to its kind and the ordered list of
 * [field, codec] that make its body. `walkOperation` (operation.ts) reads any row. The protocol
 * registry (protocols.ts) builds each protocol's table from these rows.
 */
export type FieldList = readonly (readonly [string, FieldCodec])[];

export interface OperationSpec<K extends string = string> {
  readonly tag: number;
  readonly kind: K;
  /** Manager operations (tag >= 107) start with the manager header and may be batched. */
  readonly manager: boolean;
  readonly fields: FieldList;
  /** Set when the tag is known but never decoded in a sign request; says why. */
  readonly refused?: string;
  /** One line for docs/payloads.md. */
  readonly note?: string;
}

/** Manager header (source, fee, counter, gas_limit, storage_limit), in front of every manager body. */
export const MANAGER_HEADER: FieldList = [
  ['source', pkh],
  ['fee', mutez],
  ['counter', natCapped],
  ['gas_limit', natCapped],
  ['storage_limit', natCapped],
];

const protocolHash = hash('P', 32, 'protocol hash');
const rollup = hash('sr1', 20, 'smart rollup address');

/**
 * ZK rollups (Octez zk_rollup_*_repr.ml; layouts checked against the octez-codec dump of Seoul,
 * unchanged in Ushuaia). A scalar is a BLS12-381 Fr element, 32 bytes; a state is dyn(list of
 * scalars). The rollup address (20 bytes) and the ticket hash (32 bytes) are shown as hex.
 */
const zkScalar = rawHex(32, 'BLS12-381 scalar');
const zkState = (what: string): FieldCodec => dynList(zkScalar, what);
const zkRollup = rawHex(20, 'ZK rollup address');
const circuitName = dynString('ZK rollup circuit name');
/** One L2 operation: op_code, price { ticket hash, Z amount }, L1 destination, rollup, payload scalars. */
const zkL2Operation = record([
  ['op_code', int31],
  [
    'price',
    record([
      ['id', rawHex(32, 'ticket hash')],
      ['amount', int],
    ]),
  ],
  ['l1_dst', pkh],
  ['rollup_id', zkRollup],
  ['payload', zkState('ZK rollup operation payload')],
]);
/** An update's public inputs, per circuit: `[circuit name, { new_state; fee; …more }]`. */
const zkCircuitInputs = (what: string, ...more: (readonly [string, FieldCodec])[]): FieldCodec =>
  dynList(tuple([circuitName, record([['new_state', zkState('new state')], ['fee', zkScalar], ...more])]), what);
/** The ticket an L2 operation carries: tag 0 none (null), tag 1 { contents, ty, ticketer }. */
const zkTicket = label(
  union(
    {
      0: label(() => null, 'none'),
      1: record([
        ['contents', michelineExpr],
        ['ty', michelineExpr],
        ['ticketer', contract],
      ]),
    },
    'ZK rollup ticket',
  ),
  'ticket: 0x00 none (null), or 0x01 { contents: Micheline; ty: Micheline; ticketer: contract_id }',
);

/** Tags an inlined consensus operation may carry: the consensus contents and the aggregates. */
const INLINED_TAGS = Object.keys(CONSENSUS_CONTENT_NAMES).map(Number);

/** An inlined consensus operation (denunciations): dyn(branch ‖ tag ‖ content ‖ signature). */
const inlinedConsensus: FieldCodec = label(
  (r) =>
    r.dyn('inlined consensus operation', (s) => {
      const branch = hash('B', 32, 'branch')(s);
      const at = s.pos;
      const tag = s.u8('consensus operation tag');
      const kind = CONSENSUS_CONTENT_NAMES[tag];
      if (kind === undefined) s.fail('unknown_tag', `consensus operation tag ${orList(INLINED_TAGS)}`, `got ${tag}`, at);
      const spec = CONSENSUS_TAGS[tag];
      const operations: Record<string, unknown> = { kind };
      if (spec !== undefined) Object.assign(operations, readConsensusContent(s, spec));
      else readFields(s, tag === 30 ? PREATTESTATIONS_AGGREGATE : ATTESTATIONS_AGGREGATE, operations);
      return { branch, operations, signature: trailingSignature(s) };
    }),
  `dyn inlined consensus operation: branch, tag ${INLINED_TAGS.join('/')} and content, signature`,
);

/** A full signed block header (double baking evidence). */
const signedBlockHeader: FieldCodec = label(
  (r) => r.dyn('block header', (s) => ({ ...readBlockHeader(s), signature: trailingSignature(s) })),
  'dyn signed Tenderbake block header',
);

const AGGREGATE_CONTENT: FieldList = [
  ['level', i32],
  ['round', i32],
  ['block_payload_hash', hash('vh', 32, 'block payload hash')],
];
const PREATTESTATIONS_AGGREGATE: FieldList = [...AGGREGATE_CONTENT, ['committee', dynList(u16, 'committee')]];
const ATTESTATIONS_AGGREGATE: FieldList = [
  ...AGGREGATE_CONTENT,
  [
    'committee',
    dynList(
      record([
        ['slot', u16],
        ['dal_attestation', option(int, 'DAL attestation')],
      ]),
      'committee',
    ),
  ],
];

const proposalList: FieldCodec = label((r) => {
  const at = r.pos;
  const list = dynList(protocolHash, 'proposals')(r) as unknown[];
  if (list.length > 20) r.fail('bad_length', 'at most 20 proposals', `${list.length}`, at);
  return list;
}, 'dyn list of at most 20 protocol hashes (P…)');

/** Smart rollup refutation (sc_rollup_game_repr / sc_rollup_proof_repr). */
const revealProof = union(
  {
    0: (r) => {
      const at = r.pos;
      const n = r.u16('raw data length');
      // Octez: Bounded.string Uint16 sc_rollup_message_size_limit (4096)
      if (n > 4096) r.fail('bad_length', 'raw data of at most 4096 bytes', `${n}`, at);
      return { reveal_proof_kind: 'raw_data_proof', raw_data: Buffer.from(r.fixed(n, 'raw data')).toString('hex') };
    },
    1: () => ({ reveal_proof_kind: 'metadata_proof' }),
    2: (r) =>
      readFields(
        r,
        [
          [
            'dal_page_id',
            record([
              ['published_level', i32],
              ['slot_index', u8],
              ['page_index', (s: Reader) => s.i16('page index')],
            ]),
          ],
          ['dal_proof', dynHex('DAL page proof')],
        ],
        { reveal_proof_kind: 'dal_page_proof' },
      ),
    3: () => ({ reveal_proof_kind: 'dal_parameters_proof' }),
  },
  'reveal proof',
);
const inputProof = union(
  {
    0: (r) =>
      readFields(
        r,
        [
          ['level', i32],
          ['message_counter', nat],
          ['serialized_proof', dynHex('inbox proof')],
        ],
        { input_proof_kind: 'inbox_proof' },
      ),
    1: (r) => ({ input_proof_kind: 'reveal_proof', reveal_proof: revealProof(r) }),
    2: () => ({ input_proof_kind: 'first_input' }),
  },
  'input proof',
);
// Octez's JSON: a dissection step is the bare list of chunks, a proof step an object
const refutationStep = union(
  {
    0: dynList(
      record([
        ['state', option(hash('srs1', 32, 'state hash'), 'state')],
        ['tick', nat],
      ]),
      'dissection',
    ),
    1: (r) =>
      readFields(
        r,
        [
          ['pvm_step', dynHex('PVM step')],
          ['input_proof', option(inputProof, 'input proof')],
        ],
        {},
      ),
  },
  'refutation step',
);
const refutation = label(
  union(
    {
      0: (r) =>
        readFields(
          r,
          [
            ['player_commitment_hash', hash('src1', 32, 'commitment hash')],
            ['opponent_commitment_hash', hash('src1', 32, 'commitment hash')],
          ],
          { refutation_kind: 'start' },
        ),
      1: (r) =>
        readFields(
          r,
          [
            ['choice', nat],
            ['step', refutationStep],
          ],
          { refutation_kind: 'move' },
        ),
    },
    'refutation',
  ),
  'u8 0 start { 2 × 32-byte commitment hashes } | 1 move { choice N; step: dissection or proof }',
);

export const m = <K extends string>(tag: number, kind: K, fields: FieldList, note?: string): OperationSpec<K> => ({
  tag,
  kind,
  manager: true,
  fields: [...MANAGER_HEADER, ...fields],
  ...(note ? { note } : {}),
});
export const n = <K extends string>(tag: number, kind: K, fields: FieldList, note?: string): OperationSpec<K> => ({
  tag,
  kind,
  manager: false,
  fields,
  ...(note ? { note } : {}),
});
const refuse = <K extends string>(tag: number, kind: K, manager: boolean, refused: string): OperationSpec<K> => ({
  tag,
  kind,
  manager,
  fields: [],
  refused,
});

/**
 * A shard is Octez's `tup2 int31 share_encoding` (src/lib_crypto_dal/cryptobox.ml, `shard_encoding`), so its
 * JSON is the pair [index, [scalars]], not an object; `shard_with_proof` is an obj2 of `shard` and `proof`
 * (src/proto_025_PsUshuai/lib_protocol/dal_slot_repr.ml, `Shard_with_proof.encoding`).
 */
const DAL_ENTRAPMENT_SHARD: FieldList = [
  [
    'shard_with_proof',
    record([
      ['shard', tuple([int31, dynList(rawHex(32, 'shard scalar'), 'shard share')])],
      ['proof', rawHex(48, 'shard proof')],
    ]),
  ],
];

/** Ushuaia (025): every generic-operation tag. */
export const USHUAIA_OPERATIONS = [
  n(1, 'seed_nonce_revelation', [
    ['level', i32],
    ['nonce', rawHex(32, 'nonce')],
  ]),
  n(2, 'double_consensus_operation_evidence', [
    ['slot', u16],
    ['op1', inlinedConsensus],
    ['op2', inlinedConsensus],
  ]),
  n(3, 'double_baking_evidence', [
    ['bh1', signedBlockHeader],
    ['bh2', signedBlockHeader],
  ]),
  n(4, 'activate_account', [
    ['pkh', hash('tz1', 20, 'tz1 address')],
    ['secret', rawHex(20, 'activation secret')],
  ]),
  n(5, 'proposals', [
    ['source', pkh],
    ['period', i32],
    ['proposals', proposalList],
  ]),
  n(
    6,
    'ballot',
    [
      ['source', pkh],
      ['period', i32],
      ['proposal', protocolHash],
      ['ballot', ballotVote],
    ],
    'policy kind `ballot:yay`, `ballot:nay` or `ballot:pass`',
  ),
  n(8, 'vdf_revelation', [
    ['solution', label((r: Reader) => [rawHex(100, 'VDF solution')(r), rawHex(100, 'VDF proof')(r)], '2 × 100 bytes, hex')],
  ]),
  n(
    9,
    'drain_delegate',
    [
      ['consensus_key', pkh],
      ['delegate', pkh],
      ['destination', pkh],
    ],
    'signed by the consensus key',
  ),
  n(17, 'failing_noop', [['arbitrary', dynHex('message')]], 'never valid on chain; `octez-client sign message`'),
  n(24, 'dal_entrapment_evidence', [
    ['attestation', inlinedConsensus],
    ['consensus_slot', u16],
    ['slot_index', u8],
    ['lag_index', option(u8, 'lag index')],
    ...DAL_ENTRAPMENT_SHARD,
  ]),
  n(30, 'preattestations_aggregate', PREATTESTATIONS_AGGREGATE, 'never signed as a whole'),
  n(31, 'attestations_aggregate', ATTESTATIONS_AGGREGATE, 'never signed as a whole'),
  m(107, 'reveal', [
    ['public_key', publicKey],
    ['proof', blsProof],
  ]),
  m(
    108,
    'transaction',
    [
      ['amount', mutez],
      ['destination', contract],
      ['parameters', parameters],
    ],
    'to the source itself with entrypoint stake / unstake / finalize_unstake / set_delegate_parameters: that pseudo-operation',
  ),
  m(109, 'origination', [
    ['balance', mutez],
    ['delegate', option(pkh, 'delegate')],
    [
      'script',
      record([
        ['code', lazyExpr],
        ['storage', lazyExpr],
      ]),
    ],
  ]),
  m(110, 'delegation', [['delegate', option(pkh, 'delegate')]]),
  m(111, 'register_global_constant', [['value', lazyExpr]]),
  m(112, 'set_deposits_limit', [['limit', option(mutez, 'limit')]]),
  m(113, 'increase_paid_storage', [
    ['amount', int],
    ['destination', originatedContract],
  ]),
  m(114, 'update_consensus_key', [
    ['pk', publicKey],
    ['proof', blsProof],
  ]),
  m(115, 'update_companion_key', [
    ['pk', publicKey],
    ['proof', blsProof],
  ]),
  m(158, 'transfer_ticket', [
    ['ticket_contents', lazyExpr],
    ['ticket_ty', lazyExpr],
    ['ticket_ticketer', contract],
    ['ticket_amount', positiveNat],
    ['destination', contract],
    ['entrypoint', dynString('entrypoint')],
  ]),
  m(200, 'smart_rollup_originate', [
    ['pvm_kind', enumeration(['arith', 'wasm_2_0_0', 'riscv'], 'PVM kind')],
    ['kernel', dynHex('kernel')],
    ['parameters_ty', lazyExpr],
    ['whitelist', option(dynList(pkh, 'whitelist'), 'whitelist')],
  ]),
  m(201, 'smart_rollup_add_messages', [['message', dynList(dynHex('message'), 'messages')]]),
  m(202, 'smart_rollup_cement', [['rollup', rollup]]),
  m(203, 'smart_rollup_publish', [
    ['rollup', rollup],
    [
      'commitment',
      record([
        ['compressed_state', hash('srs1', 32, 'state hash')],
        ['inbox_level', i32],
        ['predecessor', hash('src1', 32, 'commitment hash')],
        ['number_of_ticks', i64],
      ]),
    ],
  ]),
  m(204, 'smart_rollup_refute', [
    ['rollup', rollup],
    ['opponent', pkh],
    ['refutation', refutation],
  ]),
  m(205, 'smart_rollup_timeout', [
    ['rollup', rollup],
    [
      'stakers',
      record([
        ['alice', pkh],
        ['bob', pkh],
      ]),
    ],
  ]),
  m(206, 'smart_rollup_execute_outbox_message', [
    ['rollup', rollup],
    ['cemented_commitment', hash('src1', 32, 'commitment hash')],
    ['output_proof', dynHex('output proof')],
  ]),
  m(207, 'smart_rollup_recover_bond', [
    ['rollup', rollup],
    ['staker', pkh],
  ]),
  m(230, 'dal_publish_commitment', [
    [
      'slot_header',
      record([
        ['slot_index', u8],
        ['commitment', hash('sh', 48, 'DAL commitment')],
        ['commitment_proof', rawHex(96, 'DAL commitment proof')],
      ]),
    ],
  ]),
  m(
    250,
    'zk_rollup_origination',
    [
      ['public_parameters', dynHex('ZK rollup public parameters')],
      [
        'circuits_info',
        dynList(tuple([circuitName, enumeration(['public', 'private', 'fee'], 'ZK rollup circuit flag')]), 'ZK rollup circuits info'),
      ],
      ['init_state', zkState('ZK rollup initial state')],
      ['nb_ops', int31],
    ],
    'ZK rollups are disabled on mainnet',
  ),
  m(
    251,
    'zk_rollup_publish',
    [
      ['zk_rollup', zkRollup],
      ['op', dynList(tuple([zkL2Operation, zkTicket]), 'ZK rollup operations')],
    ],
    'ZK rollups are disabled on mainnet',
  ),
  m(
    252,
    'zk_rollup_update',
    [
      ['zk_rollup', zkRollup],
      [
        'update',
        record([
          ['pending_pis', zkCircuitInputs('pending public inputs', ['exit_validity', bool])],
          ['private_pis', zkCircuitInputs('private public inputs')],
          ['fee_pi', record([['new_state', zkState('fee new state')]])],
          ['proof', dynHex('ZK rollup proof')],
        ]),
      ],
    ],
    'ZK rollups are disabled on mainnet',
  ),
  refuse(255, 'signature_prefix', false, 'only in signed, injected operations, never in a sign request'),
] as const;

/** Consensus tags that only come through 0x12 / 0x13; a 0x03 request carrying them is refused. */
export const CONSENSUS_ONLY_TAGS: readonly number[] = consensusTags();

/** The operation kinds of the Ushuaia table (OPERATION_KINDS lists them; a new kind is a new row). */
export type OperationKind = (typeof USHUAIA_OPERATIONS)[number]['kind'];

/** Tallinn (024)'s dal_entrapment_evidence: Ushuaia's without `lag_index`. */
export const TALLINN_DAL_ENTRAPMENT_EVIDENCE = n(24, 'dal_entrapment_evidence', [
  ['attestation', inlinedConsensus],
  ['consensus_slot', u16],
  ['slot_index', u8],
  ...DAL_ENTRAPMENT_SHARD,
]);
