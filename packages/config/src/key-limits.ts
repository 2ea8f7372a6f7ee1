import { b58Decode } from '@signatory-ts/core';
import type { ConfigIssue, YamlPath } from './config-error';
import { didYouMean } from './suggest';
import { pkhProblem } from './tezos-identifiers';
import type { KeyLimits, LimitDestination, SpendCap } from './types';

/** 1 tez = 1 000 000 mutez. */
export const MUTEZ_PER_TEZ = 1_000_000n;
/** The largest amount Tezos can express (mutez are a signed 64-bit integer on chain). */
export const MAX_MUTEZ = 2n ** 63n - 1n;
/** The longest spend window (a year and a day): longer windows are almost certainly a typo. */
export const MAX_WINDOW_SECONDS = 366 * 86_400;

const AMOUNT_UNITS = ['tz', 'tez', 'mutez'] as const;
const WINDOW_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };
/** Octez's entrypoint names: 1 to 31 of these characters. */
const ENTRYPOINT_RE = /^[A-Za-z0-9_.%@]{1,31}$/;

/** The schema-checked YAML mapping under `tezos.<pkh>.limits`. */
export interface RawKeyLimits {
  max_amount?: string | number;
  max_request_amount?: string | number;
  max_fee?: string | number;
  max_gas_limit?: string | number;
  max_storage_limit?: string | number;
  destinations?: string[];
  delegates?: string[];
  spend?: { window: string; amount: string | number }[];
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };
const bad = (message: string): Parsed<never> => ({ ok: false, message });

const HOW = 'write mutez as a whole number (500000) or an amount with a unit (0.5tz, 500000mutez)';

/**
 * An amount in mutez: a whole number (YAML integer or a string of digits) is mutez; a string may
 * carry a unit: `12.5tz`, `12.5tez`, `500000mutez` (a space before the unit is allowed). Exact:
 * digits are read with bigint arithmetic, never through floating point, so `0.1tz` is 100000.
 */
export function parseMutez(value: string | number): Parsed<bigint> {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return bad(`${value} is not an amount; ${HOW}`);
    if (value < 0) return bad(`${value} is negative; ${HOW}, 0 or more`);
    if (!Number.isInteger(value)) return bad(`${value} is not a whole number of mutez; for tez write "${value}tz"`);
    if (!Number.isSafeInteger(value)) return bad(`is too large to read exactly as a YAML number; quote it or use a unit ("…tz")`);
    return { ok: true, value: BigInt(value) };
  }
  const text = value.trim();
  const m = /^(-?)(\d+)(?:\.(\d+))?\s*([A-Za-z\u00c0-\uffff]*)$/.exec(text);
  if (m === null) return bad(`${JSON.stringify(value)} is not an amount; ${HOW}`);
  const [, minus, whole, fraction, written] = m as unknown as [string, string, string, string | undefined, string];
  const unit = written.toLowerCase();
  if (minus) return bad(`${JSON.stringify(value)} is negative; ${HOW}, 0 or more`);
  let mutez: bigint;
  if (unit === '' || unit === 'mutez') {
    if (fraction !== undefined) {
      return bad(`${JSON.stringify(value)}: mutez are whole (1 tz = 1000000 mutez); for tez write "${whole}.${fraction}tz"`);
    }
    mutez = BigInt(whole);
  } else if (unit === 'tz' || unit === 'tez') {
    if (fraction !== undefined && fraction.length > 6) {
      return bad(`${JSON.stringify(value)} has more than 6 decimals; the smallest amount is 0.000001tz (1 mutez)`);
    }
    mutez = BigInt(whole) * MUTEZ_PER_TEZ + BigInt((fraction ?? '').padEnd(6, '0'));
  } else {
    return bad(
      `unknown unit ${JSON.stringify(written)} in ${JSON.stringify(value)}${didYouMean(unit, AMOUNT_UNITS)}; expected tz, tez or mutez (no unit: mutez)`,
    );
  }
  if (mutez > MAX_MUTEZ) return bad(`${JSON.stringify(value)} is more than any Tezos amount (at most ${formatTez(MAX_MUTEZ)})`);
  return { ok: true, value: mutez };
}

/** A gas or storage limit: a whole number (YAML integer or a string of digits), no unit. */
export function parseCount(value: string | number): Parsed<bigint> {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) return bad(`${value} is not a whole number of 0 or more`);
    if (!Number.isSafeInteger(value)) return bad('is too large to read exactly as a YAML number; quote it');
    return { ok: true, value: BigInt(value) };
  }
  const text = value.trim();
  if (!/^\d+$/.test(text)) return bad(`${JSON.stringify(value)} is not a whole number of 0 or more (no unit: gas units or bytes)`);
  return { ok: true, value: BigInt(text) };
}

/** A spend window: a whole number and one unit, `90s`, `30m`, `1h`, `24h`, `7d`; 1s to 366d. */
export function parseWindow(value: string): Parsed<number> {
  const m = /^(\d+)\s*([A-Za-z]*)$/.exec(value.trim());
  if (m === null) return bad(`${JSON.stringify(value)} is not a window; write a whole number and a unit: 1h, 24h, 7d`);
  const [, count, unit] = m as unknown as [string, string, string];
  const scale = WINDOW_UNITS[unit];
  if (scale === undefined) {
    return bad(`unknown unit ${JSON.stringify(unit)} in window ${JSON.stringify(value)}; expected s, m, h or d (for example 1h, 24h, 7d)`);
  }
  const seconds = BigInt(count) * BigInt(scale);
  if (seconds === 0n)
    return bad(`window ${JSON.stringify(value)} is empty, so it would cap nothing; write a window of 1s or more (for example 1h)`);
  if (seconds > BigInt(MAX_WINDOW_SECONDS)) return bad(`window ${JSON.stringify(value)} is longer than 366d`);
  return { ok: true, value: Number(seconds) };
}

/** `tz1…`, `KT1…`, `KT1…%entrypoint`. No `%`: the default entrypoint (as in a Michelson address). */
export function parseDestination(text: string): Parsed<LimitDestination> {
  const pct = text.indexOf('%');
  const address = pct < 0 ? text : text.slice(0, pct);
  const entrypoint = pct < 0 ? 'default' : text.slice(pct + 1);
  if (pct >= 0 && !ENTRYPOINT_RE.test(entrypoint)) {
    return bad(
      `${JSON.stringify(text)}: ${JSON.stringify(entrypoint)} is not an entrypoint name (1 to 31 of A-Z a-z 0-9 _ . @ %); write KT1…%name, or the address alone for the default entrypoint`,
    );
  }
  if (decodes(address, ['KT1'])) return { ok: true, value: { address, entrypoint } };
  const problem = pkhProblem(address);
  if (problem !== undefined) {
    return bad(
      `${JSON.stringify(text)} is not a destination (expected tz1, tz2, tz3, tz4 or KT1 with a valid checksum, optionally KT1…%entrypoint)`,
    );
  }
  if (entrypoint !== 'default') {
    return bad(
      `${JSON.stringify(text)}: an implicit account (tz1…tz4) has only the default entrypoint; write ${address} without %${entrypoint}`,
    );
  }
  return { ok: true, value: { address, entrypoint } };
}

/** A delegate: an implicit account (tz1…tz4). */
export function delegateProblem(text: string): string | undefined {
  if (decodes(text, ['KT1'])) return `${JSON.stringify(text)} is a contract; a delegate is an implicit account (tz1, tz2, tz3 or tz4)`;
  return pkhProblem(text);
}

/**
 * `12.5 tz`, `0.000001 tz`, `150 tz`: mutez as tez, exact, trailing zeros dropped. The form every
 * limit message uses.
 */
export function formatTez(mutez: bigint): string {
  const sign = mutez < 0n ? '-' : '';
  const abs = mutez < 0n ? -mutez : mutez;
  const whole = abs / MUTEZ_PER_TEZ;
  const fraction = (abs % MUTEZ_PER_TEZ).toString().padStart(6, '0').replace(/0+$/, '');
  return `${sign}${whole}${fraction === '' ? '' : `.${fraction}`} tz`;
}

/**
 * Turns `tezos.<pkh>.limits` into KeyLimits, every value checked; problems go to `errors` at the
 * path of the value. `spend:` caps are enforced by the signer on the spend ledger
 * (packages/spend-ledger), in the store of `watermark.driver`.
 */
export function buildKeyLimits(pkh: string, raw: RawKeyLimits, path: YamlPath, errors: ConfigIssue[]): KeyLimits {
  const out: Mutable<KeyLimits> = {};
  const amount = (name: 'max_amount' | 'max_request_amount' | 'max_fee', field: 'maxAmount' | 'maxRequestAmount' | 'maxFee') => {
    const v = raw[name];
    if (v === undefined) return;
    const r = parseMutez(v);
    if (r.ok) out[field] = r.value;
    else errors.push({ path: [...path, name], message: r.message });
  };
  const count = (name: 'max_gas_limit' | 'max_storage_limit', field: 'maxGasLimit' | 'maxStorageLimit') => {
    const v = raw[name];
    if (v === undefined) return;
    const r = parseCount(v);
    if (r.ok) out[field] = r.value;
    else errors.push({ path: [...path, name], message: r.message });
  };
  amount('max_amount', 'maxAmount');
  amount('max_request_amount', 'maxRequestAmount');
  amount('max_fee', 'maxFee');
  count('max_gas_limit', 'maxGasLimit');
  count('max_storage_limit', 'maxStorageLimit');

  if (raw.destinations !== undefined) {
    const list: LimitDestination[] = [];
    raw.destinations.forEach((d, i) => {
      const r = parseDestination(d);
      if (!r.ok) errors.push({ path: [...path, 'destinations', i], message: r.message });
      else list.push(r.value);
    });
    out.destinations = list;
  }
  if (raw.delegates !== undefined) {
    raw.delegates.forEach((d, i) => {
      const problem = delegateProblem(d);
      if (problem !== undefined) errors.push({ path: [...path, 'delegates', i], message: problem });
    });
    out.delegates = raw.delegates;
  }

  if (raw.spend !== undefined) {
    const caps: SpendCap[] = [];
    const seen = new Map<number, number>();
    raw.spend.forEach((s, i) => {
      const window = parseWindow(s.window);
      const cap = parseMutez(s.amount);
      if (!window.ok) errors.push({ path: [...path, 'spend', i, 'window'], message: window.message });
      if (!cap.ok) errors.push({ path: [...path, 'spend', i, 'amount'], message: cap.message });
      if (!window.ok || !cap.ok) return;
      const first = seen.get(window.value);
      if (first !== undefined) {
        errors.push({
          path: [...path, 'spend', i, 'window'],
          message: `window ${JSON.stringify(s.window)} is the same as spend[${first}]'s; keep one cap per window`,
        });
        return;
      }
      seen.set(window.value, i);
      caps.push({ window: s.window.trim(), windowSeconds: window.value, amount: cap.value });
    });
    out.spend = caps;
  }

  return out;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const decodes = (text: string, prefixes: readonly 'KT1'[]): boolean => {
  try {
    b58Decode(text, prefixes);
    return true;
  } catch {
    return false;
  }
};
