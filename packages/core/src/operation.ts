import { B58 } from './b58';
import { readFields } from './field-codecs';
import { PSEUDO_OPERATION_KINDS, type OperationKind, type PseudoOperationKind, type BallotVote } from './kinds';
import { CONSENSUS_ONLY_TAGS } from './operation-table';
import type { Reader } from './reader';

/**
 * A decoded generic operation: its Tezos kind and its fields under their Tezos JSON names
 * (the names Octez and Taquito use). Absent options are left out. Keys, addresses, hashes and
 * signatures are `B58` values (base58 text via `String()` or `JSON.stringify`).
 */
export interface DecodedOperation {
  readonly kind: OperationKind;
  readonly [field: string]: unknown;
}

/** What a 0x03 request holds: the branch and one operation, or a batch of manager operations. */
export interface GenericOperationBody {
  branch: B58;
  operations: DecodedOperation[];
}

/** Reads one operation (tag + body) by walking its row of the protocol table. */
export function walkOperation(r: Reader): DecodedOperation {
  const at = r.pos;
  const tag = r.u8('operation tag');
  const spec = r.protocol.byTag[tag];
  if (spec === undefined) {
    if (CONSENSUS_ONLY_TAGS.includes(tag)) {
      r.fail('tag_not_allowed', 'a generic operation (consensus operations are signed under 0x12/0x13)', `got tag ${tag}`, at);
    }
    r.fail('unknown_tag', `an operation tag known to ${r.protocol.name}`, `got tag ${tag}`, at);
  }
  if (spec.refused !== undefined)
    r.fail('tag_not_allowed', 'an operation a signer may sign', `${spec.kind} (tag ${tag}): ${spec.refused}`, at);
  return readFields(r, spec.fields, { kind: spec.kind }) as DecodedOperation;
}

const MANAGER_MIN_TAG = 107;

/** branch(32) then operations until the end: non-empty, and a batch holds only manager operations. */
export function readGenericOperation(r: Reader): GenericOperationBody {
  const branch = new B58('B', r.fixed(32, 'branch'));
  if (r.remaining === 0) r.fail('empty_operation_list', 'at least one operation after the branch');
  const operations: DecodedOperation[] = [];
  let nonManagerAt = -1;
  while (r.pos < r.end) {
    const at = r.pos;
    if (r.bytes[at]! < MANAGER_MIN_TAG && nonManagerAt < 0) nonManagerAt = at;
    operations.push(walkOperation(r));
    if (operations.length > 1 && nonManagerAt >= 0) {
      r.fail(
        'bad_batch',
        'a single operation, or a batch of manager operations only (tags >= 107)',
        'batch holds a non-manager operation',
        nonManagerAt,
      );
    }
  }
  return { branch, operations };
}

export type PolicyOperationKind = OperationKind | PseudoOperationKind | `ballot:${BallotVote}`;

const PSEUDO = new Set<string>(PSEUDO_OPERATION_KINDS);

/**
 * The kind policy checks an operation against: a ballot is `ballot:<vote>`; a transaction to the
 * source's own implicit account with entrypoint stake / unstake / finalize_unstake /
 * set_delegate_parameters is that pseudo-operation (so allowing `transaction` does not allow staking).
 */
export function policyKind(op: DecodedOperation): PolicyOperationKind {
  if (op.kind === 'ballot') return `ballot:${op.ballot as BallotVote}`;
  if (op.kind === 'transaction') {
    const params = op.parameters as { entrypoint: string } | undefined;
    if (params !== undefined && PSEUDO.has(params.entrypoint) && op.destination instanceof B58 && op.destination.equals(op.source)) {
      return params.entrypoint as PseudoOperationKind;
    }
  }
  return op.kind;
}
