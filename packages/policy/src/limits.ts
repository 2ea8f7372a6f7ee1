import { formatTez, type KeyLimits, type LimitDestination } from '@signatory-ts/config';
import { B58, SignatoryError, type DecodedOperation, type SignRequest } from '@signatory-ts/core';

/**
 * A key's `limits` (docs/policy.md), as pure functions over a decoded sign request. They apply to
 * generic requests only: block and consensus requests move no tez; a key with limits may not allow
 * pack (the config refuses it: a signed Michelson value can order a transfer no limit sees).
 * Every operation of a batch is checked in order; the first one over a limit refuses the whole
 * request (a batch is applied all or nothing on chain, so it is signed all or nothing).
 */

/** Which limit refused a request (metrics label, log field): the name of its `limits` key. */
export const LIMIT_RULES = [
  'max_amount',
  'max_request_amount',
  'max_fee',
  'max_gas_limit',
  'max_storage_limit',
  'destinations',
  'delegates',
  'spend',
] as const;
export type LimitRule = (typeof LIMIT_RULES)[number];

/** Why a request is over its key's limits. `reason` names the operation, the value and the limit. */
export interface LimitRefusal {
  readonly rule: LimitRule;
  /** Index of the operation in the batch, from 0; absent for a limit over the whole request. */
  readonly operation?: number;
  readonly reason: string;
}

/**
 * Tezos's `cost_per_byte`: what one byte of storage burns, in mutez (250 on mainnet and the test
 * networks since 2019). The storage burn of a manager operation is at most its storage_limit
 * times this: allocation of a new account, origination and storage growth all count against it.
 */
export const COST_PER_BYTE = 250n;

/** What one operation can take from the key, in mutez. */
export interface OperationSpend {
  /** Tez sent away: a transaction's amount to another account, an origination's balance. */
  readonly amount: bigint;
  readonly fee: bigint;
  /** The most it can burn for storage: storage_limit × COST_PER_BYTE, plus paid storage bought by increase_paid_storage. */
  readonly storageBurn: bigint;
}

/** What a whole request can take from the key, in mutez: the sums over its operations, and their total. */
export interface RequestSpend extends OperationSpend {
  readonly total: bigint;
}

/**
 * Kinds whose outflow the request does not state, so no amount limit can bound them: they are
 * refused whenever max_amount, max_request_amount or spend is set.
 */
const UNBOUNDED: Readonly<Record<string, string>> = {
  drain_delegate: "moves the delegate's whole spendable balance, an amount the request does not state",
  smart_rollup_publish: 'puts the rollup commitment bond (10000 tz on mainnet) at stake, which a refutation game can take',
  // the new consensus key can sign drain_delegate on its own, outside this signer, a few cycles later
  update_consensus_key: 'hands a key that can later drain the whole spendable balance (drain_delegate) to whoever holds it',
};

/**
 * What `op` can take from the key. A transaction to the source itself (stake, unstake,
 * finalize_unstake, set_delegate_parameters, or a plain transfer to oneself) sends nothing away;
 * staked tez stay the key's. Non-manager operations (ballots, proposals, failing_noop, …) cost nothing.
 */
export function operationSpend(op: DecodedOperation): OperationSpend {
  if (!isManager(op)) return { amount: 0n, fee: 0n, storageBurn: 0n };
  let amount = 0n;
  if (op.kind === 'transaction' && !toSelf(op)) amount = zarith(op, 'amount');
  else if (op.kind === 'origination') amount = zarith(op, 'balance');
  let storageBurn = zarith(op, 'storage_limit') * COST_PER_BYTE;
  if (op.kind === 'increase_paid_storage') {
    const bytes = zarith(op, 'amount', true);
    if (bytes > 0n) storageBurn += bytes * COST_PER_BYTE;
  }
  return { amount, fee: zarith(op, 'fee'), storageBurn };
}

/**
 * What a request can take from the key at most, in mutez: amounts sent away, fees and the
 * storage-burn bound of every operation. Zero for anything but a generic request. This is what
 * max_request_amount compares, and what the signer reserves against spend caps.
 */
export function requestSpend(request: SignRequest): RequestSpend {
  let amount = 0n;
  let fee = 0n;
  let storageBurn = 0n;
  if (request.kind === 'generic') {
    for (const op of request.operations) {
      const s = operationSpend(op);
      amount += s.amount;
      fee += s.fee;
      storageBurn += s.storageBurn;
    }
  }
  return { amount, fee, storageBurn, total: amount + fee + storageBurn };
}

/**
 * Checks a request against a key's limits. Undefined: within them (or the key has no limits, or
 * the request is not generic). Otherwise the first limit exceeded, operation by operation, then
 * max_request_amount over the whole request.
 */
export function checkLimits(request: SignRequest, limits: KeyLimits | undefined): LimitRefusal | undefined {
  if (limits === undefined || request.kind !== 'generic') return undefined;
  const amountRule: LimitRule | undefined =
    limits.maxAmount !== undefined
      ? 'max_amount'
      : limits.maxRequestAmount !== undefined
        ? 'max_request_amount'
        : limits.spend !== undefined && limits.spend.length > 0
          ? 'spend'
          : undefined;
  // a new consensus key escapes destinations too: its drain goes wherever its holder says
  const consensusKeyRule: LimitRule | undefined = amountRule ?? (limits.destinations !== undefined ? 'destinations' : undefined);

  for (const [i, op] of request.operations.entries()) {
    const refuse = (rule: LimitRule, what: string): LimitRefusal => ({
      rule,
      operation: i,
      reason: `operation ${i} (${op.kind}): ${what}`,
    });
    const unbounded = UNBOUNDED[op.kind];
    const unboundedRule = op.kind === 'update_consensus_key' ? consensusKeyRule : amountRule;
    if (unbounded !== undefined && unboundedRule !== undefined)
      return refuse(unboundedRule, `${unbounded}, so ${unboundedRule} cannot bound it`);
    if (isManager(op)) {
      const spend = operationSpend(op);
      if (limits.maxFee !== undefined && spend.fee > limits.maxFee) {
        return refuse('max_fee', `fee ${formatTez(spend.fee)} is above max_fee ${formatTez(limits.maxFee)}`);
      }
      const gas = zarith(op, 'gas_limit');
      if (limits.maxGasLimit !== undefined && gas > limits.maxGasLimit) {
        return refuse('max_gas_limit', `gas_limit ${gas} is above max_gas_limit ${limits.maxGasLimit}`);
      }
      const storage = zarith(op, 'storage_limit');
      if (limits.maxStorageLimit !== undefined && storage > limits.maxStorageLimit) {
        return refuse('max_storage_limit', `storage_limit ${storage} is above max_storage_limit ${limits.maxStorageLimit}`);
      }
      if (limits.maxAmount !== undefined && spend.amount > limits.maxAmount) {
        const field = op.kind === 'origination' ? 'balance' : 'amount';
        return refuse('max_amount', `${field} ${formatTez(spend.amount)} is above max_amount ${formatTez(limits.maxAmount)}`);
      }
    }
    if (limits.destinations !== undefined) {
      const problem = destinationProblem(op, limits.destinations);
      if (problem !== undefined) return refuse('destinations', problem);
    }
    if (limits.delegates !== undefined && (op.kind === 'delegation' || op.kind === 'origination') && op.delegate !== undefined) {
      const delegate = String(op.delegate);
      if (!limits.delegates.includes(delegate)) return refuse('delegates', `delegate ${delegate} is not in delegates`);
    }
  }

  if (limits.maxRequestAmount !== undefined) {
    const s = requestSpend(request);
    if (s.total > limits.maxRequestAmount) {
      return {
        rule: 'max_request_amount',
        reason:
          `request spends up to ${formatTez(s.total)} (amounts ${formatTez(s.amount)} + fees ${formatTez(s.fee)} + ` +
          `storage burn up to ${formatTez(s.storageBurn)}), above max_request_amount ${formatTez(limits.maxRequestAmount)}`,
      };
    }
  }
  return undefined;
}

/**
 * Undefined when `op` sends nothing outside `allowed`. A transaction or ticket to the source
 * itself is always allowed (nothing leaves); an entry without `%` allows the default entrypoint
 * only, as a Michelson address means. A new contract cannot be listed, so an origination with a
 * balance is refused.
 */
function destinationProblem(op: DecodedOperation, allowed: readonly LimitDestination[]): string | undefined {
  let entrypoint = 'default';
  if (op.kind === 'transaction') {
    if (toSelf(op)) return undefined;
    entrypoint = (op.parameters as { entrypoint: string } | undefined)?.entrypoint ?? 'default';
  } else if (op.kind === 'transfer_ticket') {
    if (toSelf(op)) return undefined;
    entrypoint = field(op, 'entrypoint', 'string');
  } else if (op.kind === 'origination') {
    const balance = zarith(op, 'balance');
    return balance > 0n
      ? `balance ${formatTez(balance)} would go to a new contract, which cannot be in destinations (originate with balance 0)`
      : undefined;
  } else if (op.kind !== 'drain_delegate') {
    return undefined;
  }
  const to = String(field(op, 'destination', 'B58'));
  if (destinationSet(allowed).has(`${to}%${entrypoint}`)) return undefined;
  return `destination ${to}${entrypoint === 'default' ? '' : `%${entrypoint}`} is not in destinations`;
}

/** `address%entrypoint` of each entry, built once per list: a payout key may list thousands. */
const destinationSets = new WeakMap<readonly LimitDestination[], ReadonlySet<string>>();
function destinationSet(list: readonly LimitDestination[]): ReadonlySet<string> {
  let set = destinationSets.get(list);
  if (set === undefined) {
    set = new Set(list.map((d) => `${d.address}%${d.entrypoint}`));
    destinationSets.set(list, set);
  }
  return set;
}

const isManager = (op: DecodedOperation): boolean => op.fee !== undefined;

/** The operation's destination is its own source (moves nothing away). */
const toSelf = (op: DecodedOperation): boolean => field(op, 'destination', 'B58').equals(op.source);

function field(op: DecodedOperation, name: string, type: 'B58'): B58;
function field(op: DecodedOperation, name: string, type: 'string'): string;
function field(op: DecodedOperation, name: string, type: 'B58' | 'string'): B58 | string {
  const v = op[name];
  if (type === 'B58' ? v instanceof B58 : typeof v === 'string') return v as B58 | string;
  // The decoder always sets these fields; a request it did not shape is never signed.
  throw new SignatoryError('internal', `limits: ${op.kind} has no ${name} field of the expected type`);
}

/** A Zarith field (decimal string) as bigint; `signed` for Z fields that may be negative. */
function zarith(op: DecodedOperation, name: string, signed = false): bigint {
  const text = field(op, name, 'string');
  if (!(signed ? /^-?\d+$/ : /^\d+$/).test(text)) throw new SignatoryError('internal', `limits: ${op.kind}.${name} is not a number`);
  return BigInt(text);
}
