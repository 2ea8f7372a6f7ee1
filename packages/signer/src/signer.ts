import { SignatoryError, toHex, type KeyRef, type Vault, type RequestKind } from '@signatory-ts/core';
import { requestSpend, StaticPolicy, violationType, type Denial, type KeyPolicyInput, type Policy } from '@signatory-ts/policy';
import type { Reservation, SpendLedger } from '@signatory-ts/spend-ledger';
import type { GuardedSignResult, WatermarkStore } from '@signatory-ts/watermark';
import { ClientAuth } from './client-auth';
import { msLeft, withDeadline } from './deadline';
import { KeyIndex, type IndexSnapshot } from './key-index';
import { authorizeStage, decodeStage, guardedSignStage, isConsensus, keyTypeOf, opStats, rawHex, type DecodedRequest } from './pipeline';
import { SignLane } from './sign-lane';
import { givenBack, SpendStage, type SpendWindows } from './spend-stage';
import { SILENT_LOGGER, type LogFields, type SignerEvents, type SignerLogger } from './signer-events';
import type { SigningVersion } from './signing-version';

/** A `tezos.<pkh>` entry as packages/config gives it (KeyPolicyConfig fits), `null` = default policy. */
export type KeyPolicyEntry = KeyPolicyInput & { readonly logPayloads?: boolean };

export interface SignerOptions {
  readonly vaults: readonly Vault[];
  /** `tezos:` pkh -> policy entry. A pkh absent here is inactive: it can be looked up, never used to sign. */
  readonly policies: ReadonlyMap<string, KeyPolicyEntry | null>;
  /**
   * Who may sign what: asked for every request of a listed key once it is decoded and its key
   * found, before the watermark slot is locked. Default: the static policy of `policies`. The
   * daemon passes the static policy, or a PolicyChain of it and the policy hook.
   */
  readonly policy?: Policy;
  readonly watermarkStore: WatermarkStore;
  /** `server.authorized_keys`: client public keys. Set, every sign request must be authenticated. */
  readonly authorizedKeys?: readonly string[];
  readonly logger?: SignerLogger;
  readonly events?: SignerEvents;
  /**
   * Deadline of one vault Sign call, ms (default 5000), for keys whose vault keeps none of its own
   * (`KeyRef.deadlineMs` unset). Expired: vault_unavailable, nothing stored.
   */
  readonly signDeadlineMs?: number;
  /** Minimum time between two vault re-listings caused by unknown pkhs, ms (default 30 000). */
  readonly refreshIntervalMs?: number;
  /**
   * Generic and pack requests' own budget of vault Sign calls (default 16 at once, 256 waiting
   * for at most signDeadlineMs; beyond that `busy`). Block, preattestation and attestation requests never wait behind it.
   */
  readonly genericLane?: { readonly concurrency?: number; readonly maxQueued?: number; readonly maxWaitMs?: number };
  /**
   * The ledger of `limits.spend` caps (packages/spend-ledger), shared by the replicas on one store.
   * Required when a key of `policies` has spend caps. Not closed by close(): its opener closes it
   * (a config reload's new signer keeps using it).
   */
  readonly spendLedger?: SpendLedger;
  /** Deadline of one spend ledger call, ms (default 2000). Expired: the request is refused (500), nothing signed. */
  readonly spendLedgerTimeoutMs?: number;
  /** The clock of spend windows, ms since the epoch (default Date.now; tests pass a test clock). */
  readonly now?: () => number;
}

export interface SignInput {
  /** Target key, as it appeared in the URL (already checked to be a tz1..tz4 hash). */
  readonly pkh: string;
  /** The whole request, magic byte included. */
  readonly bytes: Uint8Array;
  /** Client key hash from `?authentication=` (see Signer.authenticate). */
  readonly clientPkh?: string;
  readonly jwtUser?: string;
  /** The client's address (TCP peer), for the policy hook. */
  readonly source?: string;
  readonly version?: SigningVersion;
  /**
   * The request's one absolute deadline, a `performance.now()` time (the daemon: its start plus
   * --request-deadline-ms). Every later stage takes its time from what is left: the spend reserve,
   * the generic lane's wait and the vault call are cut there (nothing signed, the reservation given
   * back); a signature the vault gave back in time is still confirmed on the spend ledger. Unset:
   * each stage has only its own bound (spendLedgerTimeoutMs, the lane's maxWaitMs, the vault's deadline).
   */
  readonly deadline?: number;
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

/** A request that passed authorize: decoded, its key found, allowed by policy. */
interface Authorized {
  readonly input: SignInput;
  readonly req: DecodedRequest;
  readonly kind: RequestKind;
  readonly key: KeyRef;
  /** What the request holds on its key's spend caps until it is signed (confirm) or not (release). */
  readonly hold?: { readonly reservation: Reservation; readonly windows?: SpendWindows['windows'] };
}

/** What the sign step gave, and how long the watermark step (lock, check, sign, persist) took. */
interface Signed {
  readonly result: GuardedSignResult;
  readonly seconds: number;
}

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
  const listed = options.policies;
  const policy = options.policy ?? new StaticPolicy(listed);
  const logPayloads = new Set<string>();
  for (const [pkh, entry] of listed) if (entry?.logPayloads === true) logPayloads.add(pkh);
  const spendCaps = new Map<string, NonNullable<NonNullable<KeyPolicyEntry['limits']>['spend']>>();
  for (const [pkh, entry] of listed) {
    const caps = entry?.limits?.spend;
    if (caps !== undefined && caps.length > 0) spendCaps.set(pkh, caps);
  }
  if (spendCaps.size > 0 && options.spendLedger === undefined) {
    // never serve a key believing a cap protects it when nothing counts what it signs
    throw new SignatoryError(
      'config_invalid',
      `key ${[...spendCaps.keys()][0]} has spend caps (limits.spend) but the signer was given no spend ledger to count them`,
    );
  }
  const now = options.now ?? Date.now;
  const spend =
    options.spendLedger !== undefined
      ? new SpendStage(options.spendLedger, options.spendLedgerTimeoutMs ?? 2000, (m) => log.error(m))
      : undefined;
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

  /**
   * Listed -> decode -> key lookup -> policy. A refusal is counted, logged and thrown here; what
   * comes out may be signed.
   */
  async function authorize(input: SignInput): Promise<Authorized> {
    const { pkh, bytes } = input;
    // listed (before decoding, as Go Signatory: a stranger's garbage gets 403, not a decode report)
    if (!listed.has(pkh)) {
      const reason = `${pkh} is not listed in config`;
      events.policyViolation?.({ pkh, rule: 'not_listed', violation: 'not_listed' });
      logRequest('error', reason, input, undefined, { raw: rawHex(bytes) });
      throw denied(reason);
    }
    let req: DecodedRequest;
    try {
      req = decodeStage(bytes, keyTypeOf(pkh));
    } catch (e) {
      logRequest('error', (e as Error).message, input, undefined, { raw: rawHex(bytes) });
      throw e;
    }
    // index map; throttled re-list for an unknown pkh
    const key: KeyRef = await index.get(pkh);
    logRequest('info', 'Requesting signing operation', input, req, { vault: key.vault, version: input.version ?? 2 });
    const decision = await authorizeStage(policy, pkh, bytes, req, input);
    if (!decision.allow) throw refused(input, req, key, decision);
    const payloadLevel = logPayloads.has(pkh) ? 'info' : 'debug';
    if (log.isLevelEnabled?.(payloadLevel) !== false) {
      // the whole request: the operator asked for payloads (log_payloads), and it passed decoding and policy
      logRequest(payloadLevel, 'About to sign raw bytes', input, req, { vault: key.vault, raw: toHex(bytes) });
    }
    const a: Authorized = { input, req, kind: req.kind as RequestKind, key };
    return reserve(a);
  }

  /**
   * Spend caps: the request's amount (amounts sent away, fees, storage burn bound) reserved on the
   * key's ledger, after every other check and before the vault. Over a cap: 403 naming the window.
   */
  async function reserve(a: Authorized): Promise<Authorized> {
    const caps = spendCaps.get(a.input.pkh);
    if (caps === undefined || spend === undefined || a.req.generic === undefined) return a;
    const { pkh } = a.input;
    let r;
    try {
      r = await spend.reserve(pkh, requestSpend(a.req.generic).total, caps, now(), msLeft(a.input.deadline));
    } catch (e) {
      logRequest('error', (e as Error).message, a.input, a.req, { vault: a.key.vault });
      throw e;
    }
    if (r.windows !== undefined) events.spend?.({ pkh, windows: r.windows });
    if (!r.ok) throw refused(a.input, a.req, a.key, { allow: false, rule: 'limits', limit: 'spend', reason: r.refusal.reason });
    return { ...a, hold: { reservation: r.reservation, ...(r.windows !== undefined ? { windows: r.windows } : {}) } };
  }

  /** Nothing was signed for `a`: its reservation is given back. */
  async function giveBack(a: Authorized): Promise<void> {
    if (a.hold === undefined || spend === undefined) return;
    const back = await spend.release(a.hold.reservation);
    if (back && a.hold.windows !== undefined) {
      events.spend?.({ pkh: a.input.pkh, windows: givenBack(a.hold.windows, a.hold.reservation.amount) });
    }
  }

  /** Counts and logs a policy refusal; the error to answer it with. */
  function refused(input: SignInput, req: DecodedRequest, key: KeyRef, d: Denial): SignatoryError {
    const violation = violationType(d);
    if (violation !== undefined) events.policyViolation?.({ pkh: input.pkh, rule: d.rule, violation });
    logRequest('error', d.reason, input, req, { vault: key.vault, raw: rawHex(input.bytes) });
    return new SignatoryError(d.code ?? 'policy_denied', d.reason);
  }

  /** Lock slot -> check watermark -> sign -> persist -> release (consensus); generic and pack take a slot of their lane. */
  async function sign(a: Authorized): Promise<Signed> {
    const { key } = a;
    const { pkh, bytes } = a.input;
    const started = performance.now();
    // one deadline per vault call: the vault's own where it keeps one (it says why it failed), else the signer's
    const vaultCall = () =>
      key.deadlineMs !== undefined
        ? key.sign(bytes)
        : withDeadline(key.sign(bytes), deadline, `vault ${key.vault} (key ${key.id}) did not answer within ${deadline} ms`);
    // block and attestation requests keep only that one: a signature finished after the request deadline is
    // persisted, and the baker's identical retry gets it without a second vault call
    const vaultSign = isConsensus(a.kind) ? vaultCall : () => lanedSign(a, vaultCall);
    const result = await guardedSignStage(store, pkh, bytes, a.req, vaultSign);
    return { result, seconds: (performance.now() - started) / 1000 };
  }

  /**
   * A generic or pack request's vault call, in a slot of the generic lane, within what the request's
   * deadline leaves: the lane's wait is cut there (busy), no call starts once it has passed, and a call
   * still running then is answered vault_unavailable (nothing released: its signature, when it comes,
   * is dropped). The slot stays taken until the vault call itself settles, so the lane bounds the calls
   * really in flight (the KMS client's sockets), not only the ones still awaited.
   */
  function lanedSign(a: Authorized, vaultCall: () => Promise<string>): Promise<string> {
    const { key } = a;
    const requestDeadline = a.input.deadline;
    return new Promise<string>((resolve, reject) => {
      const inSlot = (): Promise<string> => {
        const left = msLeft(requestDeadline);
        if (!(left > 0)) {
          throw new SignatoryError('vault_unavailable', `request deadline passed before vault ${key.vault} was asked; nothing was signed`);
        }
        const call = vaultCall();
        const own = key.deadlineMs ?? deadline;
        const answer =
          left < own
            ? withDeadline(
                call,
                left,
                `vault ${key.vault} (key ${key.id}) did not answer within the ${Math.round(left)} ms the request deadline left; nothing was signed`,
              )
            : call;
        answer.then(resolve, reject);
        return call;
      };
      // busy (queue full, wait cut) and the no-time-left refusal reject here; a vault outcome was already passed on
      genericLane.run(inSlot, msLeft(requestDeadline)).then(undefined, reject);
    });
  }

  /** A sign step that threw (vault failure, deadline, store error, busy lane). */
  function reportFailure(a: Authorized, e: unknown): void {
    const code = e instanceof SignatoryError ? e.code : 'internal';
    events.signFailed?.({ vault: a.key.vault, code, chainId: a.req.chainId ?? '' });
    logRequest('error', (e as Error).message, a.input, a.req, { vault: a.key.vault });
  }

  /** Events and logs of a finished sign step; the signature to release, or the watermark refusal thrown. */
  function report(a: Authorized, { result, seconds }: Signed): { signature: string } {
    const { input, req, kind, key } = a;
    const { pkh } = input;
    const chainLabel = req.chainId ?? '';
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
      { vault: key.vault },
    );
    // winston formats a line (timestamp, fields) before its transport drops it: unbuilt when debug is off
    if (log.isLevelEnabled?.('debug') !== false) log.debug(`Encoded signature: ${result.signature}`, { pkh });
    return { signature: result.signature };
  }

  async function run(input: SignInput): Promise<{ signature: string }> {
    const a = await authorize(input);
    let released: { signature: string };
    try {
      released = report(a, await sign(a));
    } catch (e) {
      if (!(e instanceof SignatoryError && e.code === 'watermark_rejected')) reportFailure(a, e);
      await giveBack(a);
      throw e;
    }
    if (a.hold !== undefined && spend !== undefined) {
      // signed: it counts from now on, injected or not, and even when the request deadline has passed since the
      // vault answered (never under-count); confirm waits only what the deadline leaves, then lands on its own,
      // and a failed or unfinished confirm leaves it counted as reserved
      const problem = await spend.confirm(a.hold.reservation, msLeft(input.deadline));
      if (problem !== undefined) logRequest('error', problem, a.input, a.req, { vault: a.key.vault });
    }
    return released;
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
    isActive: (pkh) => listed.has(pkh),
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
