import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PolicyHookCall, SignerEvents } from '@signatory-ts/signer';
import type { WatermarkIoObserver } from '@signatory-ts/watermark';
import { STATUS_BY_CODE } from './http-errors';

/**
 * Go Signatory's Prometheus series, same names, labels and buckets (docs/metrics.md), on a
 * registry of our own so tests can build several apps in one process. Node's default process
 * metrics (process_*, nodejs_*) stand where Go's go_* / process_* were.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly signHandlerRequests: Counter<'address' | 'status'>;
  readonly signHandlerDuration: Histogram<'address' | 'status'>;
  readonly authenticationFailures: Counter<'status' | 'auth_method' | 'client_ip'>;
  /** authentication_failure_total's client_ip for `address`: itself, or `other` past MAX_CLIENT_IPS distinct ones. */
  readonly clientIpLabel: (address: string) => string;
  /** Connections closed on arrival by a listener's caps (not in Go Signatory). */
  readonly connectionsRefused: Counter<'listener' | 'cap'>;
  /** The signer's events, turned into series. */
  readonly events: SignerEvents;
  /** The file watermark store's reads and writes, turned into the watermark_io_* series. */
  readonly watermarkIo: WatermarkIoObserver;
  /** Each policy hook call, into policy_hook_request_duration_seconds (not in Go Signatory). */
  readonly policyHook: (e: PolicyHookCall) => void;
  /**
   * The spend caps served now (pkh -> its caps), at start-up and after each reload: the spend_window_*
   * series of a key or window no longer capped are removed (and a late event of the previous
   * configuration does not bring them back); those still capped show their cap as configured now.
   */
  readonly spendCapsServed: (caps: ReadonlyMap<string, readonly { readonly window: string; readonly amount: bigint }[]>) => void;
}

export interface MetricsOptions {
  /** Collect process_* / nodejs_* too (default true). */
  readonly defaultMetrics?: boolean;
  readonly version?: string;
}

/**
 * Most distinct client_ip values authentication_failure_total keeps; failures from further addresses
 * are counted as `other`, so a client with many addresses (an IPv6 /64) cannot grow the registry
 * without bound.
 */
export const MAX_CLIENT_IPS = 1000;

/** 1 ms ×2^k, k = 0..9: watermark_operation_duration_seconds. */
const WATERMARK_BUCKETS = Array.from({ length: 10 }, (_, k) => 0.001 * 2 ** k);
/** 0.1 ms ×2^k, k = 0..13: watermark_io_latency_seconds. */
const WATERMARK_IO_BUCKETS = Array.from({ length: 14 }, (_, k) => 0.0001 * 2 ** k);
/** 1 ms ×2^k, k = 0..14 (to 16 s, past the largest policy_hook.timeout_ms a request deadline allows): policy_hook_request_duration_seconds. */
const POLICY_HOOK_BUCKETS = Array.from({ length: 15 }, (_, k) => 0.001 * 2 ** k);

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const reg = { registers: [registry] };

  const signHandlerRequests = new Counter({
    name: 'sign_handler_requests_total',
    help: 'Number of sign requests handled, by key and HTTP status.',
    labelNames: ['address', 'status'] as const,
    ...reg,
  });
  const signHandlerDuration = new Histogram({
    name: 'sign_handler_request_duration_milliseconds',
    help: 'Sign request handling time, ms.',
    labelNames: ['address', 'status'] as const,
    buckets: [10, 100, 1000, 10000, 100000],
    ...reg,
  });
  const signingOps = new Counter({
    name: 'signing_ops_total',
    help: 'Signed operations, by key, vault, request kind, operation kind and chain.',
    labelNames: ['address', 'vault', 'op', 'kind', 'chain_id'] as const,
    ...reg,
  });
  const vaultSignDuration = new Histogram({
    name: 'vault_sign_request_duration_milliseconds',
    help: 'Vault signing time including the watermark step, ms (successful requests).',
    labelNames: ['vault', 'address', 'op', 'chain_id'] as const,
    buckets: [10, 100, 1000, 10000, 100000],
    ...reg,
  });
  const vaultSignErrors = new Counter({
    name: 'vault_sign_request_error_total',
    help: 'Failed vault sign requests by HTTP status code (watermark rejections included).',
    labelNames: ['vault', 'code', 'chain_id'] as const,
    ...reg,
  });
  const consensusRounds = new Counter({
    name: 'consensus_round_total',
    help: 'Signed consensus requests by round.',
    labelNames: ['address', 'operation_type', 'chain_id', 'round'] as const,
    ...reg,
  });
  const policyViolations = new Counter({
    name: 'policy_violation_total',
    help: 'Requests refused by policy.',
    labelNames: ['violation_type', 'address', 'operation_type'] as const,
    ...reg,
  });
  const watermarkRejections = new Counter({
    name: 'watermark_rejection_total',
    help: 'Requests refused by the high watermark.',
    labelNames: ['address', 'operation_type', 'chain_id', 'reason'] as const,
    ...reg,
  });
  const connectionsRefused = new Counter({
    name: 'http_connections_refused_total',
    help: 'Connections closed on arrival because a cap was reached and every connection in the way was busy.',
    labelNames: ['listener', 'cap'] as const,
    ...reg,
  });
  const authenticationFailures = new Counter({
    name: 'authentication_failure_total',
    help: 'Failed client authentications.',
    labelNames: ['status', 'auth_method', 'client_ip'] as const,
    ...reg,
  });
  const clientIps = new Set<string>();
  const clientIpLabel = (address: string): string => {
    if (clientIps.has(address)) return address;
    if (clientIps.size >= MAX_CLIENT_IPS) return 'other';
    clientIps.add(address);
    return address;
  };
  const watermarkOps = new Counter({
    name: 'watermark_operations_total',
    help: 'Watermark checks, by result, backend and request kind (generic requests included).',
    labelNames: ['result', 'backend', 'request_type'] as const,
    ...reg,
  });
  const watermarkDuration = new Histogram({
    name: 'watermark_operation_duration_seconds',
    help: 'Watermark check time (lock, check, sign, persist), seconds.',
    labelNames: ['backend'] as const,
    buckets: WATERMARK_BUCKETS,
    ...reg,
  });
  const watermarkIoOps = new Counter({
    name: 'watermark_io_operations_total',
    help: 'Watermark storage operations (file store: chain file read, write, create), by result.',
    labelNames: ['backend', 'operation', 'table_name', 'result'] as const,
    ...reg,
  });
  const watermarkIoLatency = new Histogram({
    name: 'watermark_io_latency_seconds',
    help: 'Watermark storage operation time (a write includes both fsyncs), seconds.',
    labelNames: ['backend', 'operation', 'table_name'] as const,
    buckets: WATERMARK_IO_BUCKETS,
    ...reg,
  });
  const watermarkIoErrors = new Counter({
    name: 'watermark_io_errors_total',
    help: 'Failed watermark storage operations, by error type (errno code, corrupt, lock).',
    labelNames: ['backend', 'error_type', 'table_name', 'operation'] as const,
    ...reg,
  });
  const policyHookDuration = new Histogram({
    name: 'policy_hook_request_duration_seconds',
    help: 'Policy hook calls, seconds, by result: allow, deny (refused: 403/401) or error (no usable answer: 500).',
    labelNames: ['result'] as const,
    buckets: POLICY_HOOK_BUCKETS,
    ...reg,
  });
  const spendWindow = new Gauge({
    name: 'spend_window_mutez',
    help: 'What a spend cap window (limits.spend) holds, mutez (confirmed and reserved), as this replica last saw it: after each reservation made or refused, and each one given back.',
    labelNames: ['address', 'window'] as const,
    ...reg,
  });
  const spendWindowCap = new Gauge({
    name: 'spend_window_cap_mutez',
    help: 'The cap of a spend window (limits.spend), mutez.',
    labelNames: ['address', 'window'] as const,
    ...reg,
  });
  const buildInfo = new Gauge({
    name: 'signatory_build_info',
    help: 'Build information (always 1).',
    labelNames: ['path', 'version', 'checksum', 'revision', 'branch'] as const,
    ...reg,
  });
  buildInfo.set({ path: '@signatory-ts/signatory', version: options.version ?? '', checksum: '', revision: '', branch: '' }, 1);

  /** The caps served now (spendCapsServed); undefined until the daemon says, then only their series are set. */
  let servedCaps: Parameters<Metrics['spendCapsServed']>[0] | undefined;
  /** [pkh, window] of the spend_window_* series set so far (JSON), to remove those no longer served. */
  const shownWindows = new Set<string>();
  const spendCapsServed: Metrics['spendCapsServed'] = (caps) => {
    servedCaps = caps;
    for (const shown of shownWindows) {
      const [address, window] = JSON.parse(shown) as [string, string];
      const cap = caps.get(address)?.find((c) => c.window === window);
      if (cap !== undefined) {
        spendWindowCap.set({ address, window }, Number(cap.amount));
        continue;
      }
      spendWindow.remove({ address, window });
      spendWindowCap.remove({ address, window });
      shownWindows.delete(shown);
    }
  };

  const events: SignerEvents = {
    signed(e) {
      for (const [kind, n] of Object.entries(e.ops)) {
        signingOps.inc({ address: e.pkh, vault: e.vault, op: e.requestKind, kind, chain_id: e.chainId }, n);
      }
      vaultSignDuration.observe({ vault: e.vault, address: e.pkh, op: e.requestKind, chain_id: e.chainId }, Math.round(e.durationMs));
      if (e.round !== undefined) {
        consensusRounds.inc({ address: e.pkh, operation_type: e.requestKind, chain_id: e.chainId, round: String(e.round) });
      }
    },
    signFailed(e) {
      vaultSignErrors.inc({ vault: e.vault, code: String(STATUS_BY_CODE[e.code] ?? 'n/a'), chain_id: e.chainId });
    },
    policyViolation(e) {
      policyViolations.inc({ violation_type: e.violation, address: e.pkh, operation_type: 'request' });
    },
    watermark(e) {
      watermarkOps.inc({ result: e.result, backend: e.backend, request_type: e.requestKind });
      watermarkDuration.observe({ backend: e.backend }, e.seconds);
    },
    spend(e) {
      // mutez as a float64: exact up to 2^53 mutez (9 billion tz)
      for (const w of e.windows) {
        // the cap served now, not the event's: a late event of the previous generation carries the old one
        const served = servedCaps?.get(e.pkh)?.find((c) => c.window === w.window);
        if (servedCaps !== undefined && served === undefined) continue;
        spendWindow.set({ address: e.pkh, window: w.window }, Number(w.spent));
        spendWindowCap.set({ address: e.pkh, window: w.window }, Number(served?.amount ?? w.cap));
        shownWindows.add(JSON.stringify([e.pkh, w.window]));
      }
    },
    watermarkRejected(e) {
      watermarkRejections.inc({ address: e.pkh, operation_type: e.requestKind, chain_id: e.chainId, reason: e.reason });
    },
  };
  const watermarkIo: WatermarkIoObserver = ({ operation, seconds, error, backend, table }) => {
    const labels = { backend: backend ?? 'file', operation, table_name: table ?? '' };
    watermarkIoOps.inc({ ...labels, result: error === undefined ? 'success' : 'error' });
    watermarkIoLatency.observe(labels, seconds);
    if (error !== undefined) watermarkIoErrors.inc({ ...labels, error_type: error });
  };
  const policyHook = (e: PolicyHookCall) => policyHookDuration.observe({ result: e.result }, e.seconds);
  return {
    registry,
    signHandlerRequests,
    signHandlerDuration,
    authenticationFailures,
    clientIpLabel,
    connectionsRefused,
    events,
    watermarkIo,
    policyHook,
    spendCapsServed,
  };
}
