import type { ErrorCode, RequestKind, LegacyRequestKind } from '@signatory-ts/core';
import type { SpendWindows } from './spend-stage';

/** Fields of a log line (winston's `meta`). Never a secret: pkhs, kinds, levels, hex of requests only. */
export type LogFields = Record<string, unknown>;

/** The logging the signer needs; a winston Logger fits as is. */
export interface SignerLogger {
  error(message: string, fields?: LogFields): unknown;
  warn(message: string, fields?: LogFields): unknown;
  info(message: string, fields?: LogFields): unknown;
  debug(message: string, fields?: LogFields): unknown;
  /** winston has it; when present, lines below the level cost nothing (no hex of the request). */
  isLevelEnabled?(level: string): boolean;
}

export const SILENT_LOGGER: SignerLogger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};

/**
 * What happened to one sign request, for metrics. The daemon turns these into Signatory's
 * Prometheus series (apps/signatory/src/metrics.ts); the signer knows nothing of Prometheus.
 */
export interface SignerEvents {
  /** A signature was released (signed now, or the stored one replayed). */
  signed?(e: {
    pkh: string;
    vault: string;
    requestKind: RequestKind;
    /** Operation kind -> count for generic requests; `{<requestKind>: 1}` otherwise. */
    ops: Readonly<Record<string, number>>;
    /** `Net…` for block and consensus requests, '' otherwise. */
    chainId: string;
    round?: number;
    /** Vault call plus watermark step, ms. */
    durationMs: number;
  }): void;
  /** A request that reached the vault stage failed (watermark rejection included, as Signatory counts it). */
  signFailed?(e: { vault: string; code: ErrorCode; chainId: string }): void;
  /** A policy refusal. `rule` is the policy rule, `violation` Signatory's label (request kind / op kind / authentication). */
  policyViolation?(e: { pkh: string; rule: string; violation: string }): void;
  /** Every request that passed policy goes through the watermark step, generic included (as Signatory counts). */
  watermark?(e: { result: 'success' | 'rejected'; backend: string; requestKind: RequestKind | LegacyRequestKind; seconds: number }): void;
  /**
   * What a key's spend windows hold, as this signer last saw them: after a reservation (made or
   * refused) and after one was given back. For the spend gauges; no extra ledger read.
   */
  spend?(e: SpendWindows): void;
  /** A watermark refusal, with the reason text. */
  watermarkRejected?(e: { pkh: string; requestKind: RequestKind; chainId: string; reason: string }): void;
}
