import { SignatoryError, toHex, type KeyRef, type Vault, type RequestKind } from '@signatory-ts/core';
import { buildPolicy, type KeyPolicy, type KeyPolicyInput } from '@signatory-ts/policy';
import type { WatermarkStore } from '@signatory-ts/watermark';
import { ClientAuth } from './client-auth';
import { withDeadline } from './deadline';
import { KeyIndex, type IndexSnapshot } from './key-index';
import { authorizeStage, decodeStage, guardedSignStage, isConsensus, keyTypeOf, opStats, rawHex, type DecodedRequest } from './pipeline';
import { SignLane } from './sign-lane';
import { SILENT_LOGGER, type LogFields, type SignerEvents, type SignerLogger } from './signer-events';
import type { SigningVersion } from './signing-version';

/** A `tezos.<pkh>` entry as packages/config gives it (KeyPolicyConfig fits), `null` = default policy. */
export type KeyPolicyEntry = KeyPolicyInput & { readonly logPayloads?: boolean };

export interface SignerOptions {
  readonly vaults: readonly Vault[];
  /** `tezos:` pkh -> policy entry. A pkh absent here is inactive: it can be looked up, never used to sign. */
  readonly policies: ReadonlyMap<string, KeyPolicyEntry | null>;
  readonly watermarkStore: WatermarkStore;
  /** `server.authorized_keys`: client public keys. Set, every sign request must be authenticated. */
  readonly authorizedKeys?: readonly string[];
  readonly logger?: SignerLogger;
  readonly events?: SignerEvents;
  /** Deadline of one vault Sign call, ms (default 5000). Expired: vault_unavailable, nothing stored. */
  readonly signDeadlineMs?: number;
  /** Minimum time between two vault re-listings caused by unknown pkhs, ms (default 30 000). */
  readonly refreshIntervalMs?: number;
  /**
   * Generic and pack requests' own budget of vault Sign calls (default 16 at once, 256 waiting
   * for at most signDeadlineMs; beyond that `busy`). Block, preattestation and attestation requests never wait behind it.
   */
  readonly genericLane?: { readonly concurrency?: number; readonly maxQueued?: number; readonly maxWaitMs?: number };
}

export interface SignInput {
  /** Target key, as it appeared in the URL (already checked to be a tz1..tz4 hash). */
  readonly pkh: string;
  /** The whole request, magic byte included. */
  readonly bytes: Uint8Array;
  /** Client key hash from `?authentication=` (see Signer.authenticate). */
  readonly clientPkh?: string;
  readonly jwtUser?: string;
  readonly version?: SigningVersion;
}

export interface Signer {
  /** Runs the pipeline. Resolves with the signature to release, or throws a SignatoryError. */
  sign(input: SignInput): Promise<{ signature: string }>;
  /** The public key of `pkh` (no policy check: an inactive key still answers, as in Go Signatory). */
  getPublicKey(pkh: string): Promise<string>;
  /** Keys the index holds now, with the ones vaults skipped and the vaults that failed. */
  listKeys(): IndexSnapshot;
  /** Re-lists every vault now. */
  refreshKeys(): Promise<IndexSnapshot>;
  /** Client key hashes from server.authorized_keys; undefined when authentication is off. */
  readonly authorizedKeys: readonly string[] | undefined;
  /**
   * Checks `?authentication=` for a request to `pkh` with `bytes`. Returns the client pkh, or
   * undefined when authentication is off. Throws unauthenticated (missing), bad_request
   * (unparseable) or forbidden (matches no authorized key).
   */
  authenticate(pkh: string, bytes: Uint8Array, authentication: string | undefined): string | undefined;
  /** Whether a pkh is listed under `tezos:`. */
  isActive(pkh: string): boolean;
  /** Sign requests being processed now. */
  readonly inFlight: number;
  /** The generic/pack lane's vault calls running and waiting now. */
  readonly genericLane: { readonly inFlight: number; readonly queued: number };
  /** Refuses new requests, waits for the ones in flight (their watermarks persisted), closes vaults and store. */
  close(): Promise<void>;
}

const denied = (reason: string) => new SignatoryError('policy_denied', reason);

/**
 * Builds the signer: policies compiled, vaults listed once into the key index. Start-up problems
 * (a vault that cannot list) are reported through listKeys(), not thrown: the daemon logs them and
 * serves the keys it has.
 */
export async function createSigner(options: SignerOptions): Promise<Signer> {
  const log = options.logger ?? SILENT_LOGGER;
  const events = options.events ?? {};
  const store = options.watermarkStore;
  const deadline = options.signDeadlineMs ?? 5000;
  const genericLane = new SignLane('generic', {
    concurrency: options.genericLane?.concurrency ?? 16,
    maxQueued: options.genericLane?.maxQueued ?? 256,
    maxWaitMs: options.genericLane?.maxWaitMs ?? deadline, // no longer than one vault call may take
  });
  const policies = new Map<string, KeyPolicy>();
  const logPayloads = new Set<string>();
  for (const [pkh, entry] of options.policies) {
    policies.set(pkh, buildPolicy(entry));
    if (entry?.logPayloads === true) logPayloads.add(pkh);
  }
  const auth = options.authorizedKeys !== undefined ? new ClientAuth(options.authorizedKeys) : undefined;
  const index = new KeyIndex(
    options.vaults,
    options.refreshIntervalMs !== undefined ? { refreshIntervalMs: options.refreshIntervalMs } : {},
  );
  await index.refresh();

  let closing = false;
  const inflight = new Set<Promise<unknown>>();

  function logRequest(
    level: 'error' | 'info' | 'debug',
    msg: string,
    input: SignInput,
    req: DecodedRequest | undefined,
    extra: LogFields = {},
  ): void {
    if (log.isLevelEnabled?.(level) === false) return; // a line nobody reads costs nothing
    const f: LogFields = { pkh: input.pkh };
    if (input.clientPkh !== undefined) f.client_pkh = input.clientPkh;
    if (req !== undefined) {
      f.request = req.kind;
      if (req.chainId !== undefined) f.chain_id = req.chainId;
      if (req.level !== undefined) f.lvl = req.level;
      if (req.round !== undefined) f.round = req.round;
      const ops = opStats(req);
      f.ops = ops;
      f.ops_total = Object.keys(ops).length;
    }
    log[level](msg, { ...f, ...extra });
  }

  async function run(input: SignInput): Promise<{ signature: string }> {
    const { pkh, bytes } = input;
    // 1. listed (before decoding, as Go Signatory: a stranger's garbage gets 403, not a decode report)
    const policy = policies.get(pkh);
    if (policy === undefined) {
      const reason = `${pkh} is not listed in config`;
      events.policyViolation?.({ pkh, rule: 'not_listed', violation: 'not_listed' });
      logRequest('error', reason, input, undefined, { raw: rawHex(bytes) });
      throw denied(reason);
    }
    // 2. decode
    let req: DecodedRequest;
    try {
      req = decodeStage(bytes, keyTypeOf(pkh));
    } catch (e) {
      logRequest('error', (e as Error).message, input, undefined, { raw: rawHex(bytes) });
      throw e;
    }
    // 3. key lookup (index map; throttled re-list for an unknown pkh)
    const key: KeyRef = await index.get(pkh);
    logRequest('info', 'Requesting signing operation', input, req, { vault: key.vault, version: input.version ?? 2 });
    // 4. authorize
    const decision = authorizeStage(pkh, policy, req, input);
    if (!decision.allow) {
      const violation =
        decision.rule === 'operation_kind'
          ? decision.reason.replace(/^operation `([^']*)' is not allowed$/, '$1')
          : decision.rule === 'request_kind'
            ? req.kind
            : decision.rule;
      if (decision.rule !== 'chain') events.policyViolation?.({ pkh, rule: decision.rule, violation });
      logRequest('error', decision.reason, input, req, { vault: key.vault, raw: rawHex(bytes) });
      throw denied(decision.reason);
    }
    const kind = req.kind as RequestKind;
    const chainLabel = req.chainId ?? '';
    const payloadLevel = logPayloads.has(pkh) ? 'info' : 'debug';
    if (log.isLevelEnabled?.(payloadLevel) !== false) {
      // the whole request: the operator asked for payloads (log_payloads), and it passed decoding and policy
      logRequest(payloadLevel, 'About to sign raw bytes', input, req, { vault: key.vault, raw: toHex(bytes) });
    }
    // 5. lock slot -> check watermark -> sign -> persist -> release
    const started = performance.now();
    let result;
    try {
      const vaultSign = () =>
        withDeadline(key.sign(bytes), deadline, `vault ${key.vault} (key ${key.id}) did not answer within ${deadline} ms`);
      // consensus requests call the vault at once; generic and pack requests take a slot of their lane
      result = await guardedSignStage(store, pkh, bytes, req, isConsensus(kind) ? vaultSign : () => genericLane.run(vaultSign));
    } catch (e) {
      const code = e instanceof SignatoryError ? e.code : 'internal';
      events.signFailed?.({ vault: key.vault, code, chainId: chainLabel });
      logRequest('error', (e as Error).message, input, req, { vault: key.vault });
      throw e;
    }
    const seconds = (performance.now() - started) / 1000;
    if (result.status === 'rejected') {
      const reason = 'watermark validation failed';
      events.watermark?.({ result: 'rejected', backend: store.name, requestKind: kind, seconds });
      events.watermarkRejected?.({ pkh, requestKind: kind, chainId: chainLabel, reason });
      events.signFailed?.({ vault: key.vault, code: 'watermark_rejected', chainId: chainLabel });
      logRequest('error', reason, input, req, {
        vault: key.vault,
        stored_lvl: result.stored.level,
        stored_round: result.stored.round,
      });
      throw new SignatoryError('watermark_rejected', reason);
    }
    events.watermark?.({ result: 'success', backend: store.name, requestKind: kind, seconds });
    events.signed?.({
      pkh,
      vault: key.vault,
      requestKind: kind,
      ops: opStats(req),
      chainId: chainLabel,
      ...(isConsensus(kind) ? { round: req.round! } : {}),
      durationMs: seconds * 1000,
    });
    logRequest(
      'info',
      result.status === 'replay' ? `Signed ${kind} successfully (stored signature of identical request)` : `Signed ${kind} successfully`,
      input,
      req,
      {
        vault: key.vault,
      },
    );
    log.debug(`Encoded signature: ${result.signature}`, { pkh });
    return { signature: result.signature };
  }

  const signer: Signer = {
    sign(input) {
      if (closing) return Promise.reject(new SignatoryError('vault_unavailable', 'signer is shutting down'));
      const p = run(input);
      inflight.add(p);
      const done = () => inflight.delete(p);
      p.then(done, done);
      return p;
    },
    async getPublicKey(pkh) {
      return (await index.get(pkh)).publicKey;
    },
    listKeys: () => index.snapshot,
    refreshKeys: () => index.refresh(),
    authorizedKeys: auth?.clientPkhs,
    authenticate(pkh, bytes, authentication) {
      if (auth === undefined) return undefined;
      return auth.authenticate(pkh, bytes, authentication);
    },
    isActive: (pkh) => policies.has(pkh),
    get inFlight() {
      return inflight.size;
    },
    genericLane,
    async close() {
      closing = true;
      index.close();
      await Promise.allSettled([...inflight]);
      await Promise.allSettled(options.vaults.map((v) => v.close?.()));
      await store.close?.();
    },
  };
  return signer;
}
