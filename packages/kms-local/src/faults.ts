import { isKmsErrorCode, type KmsErrorCode } from './errors';
import type { HighSMode } from './signing';

/**
 * When a fault fires. `count`: the next N matching calls; `forMs`: every matching call for that long from
 * when it is set; neither: every matching call until cleared. `operations` restricts it to those KMS
 * operation names (e.g. ["Sign"]); omitted means every operation.
 */
export interface FaultTrigger {
  count?: number;
  forMs?: number;
  operations?: string[];
  /**
   * Only calls on these keys: compared with the request's KeyId as sent (key id, key ARN or alias);
   * a bare key id also matches its key ARN. Omitted means every key (and calls without a KeyId).
   */
  keyIds?: string[];
}

export interface FailFault extends FaultTrigger {
  /** e.g. KMSInternalException, DependencyTimeoutException, KeyUnavailableException, NotFoundException, AccessDeniedException */
  errorType: KmsErrorCode;
  message?: string;
}

/** The declarative fault settings; also the JSON body of `POST /__admin/faults`. */
export interface FaultSpec {
  /** added before every KMS call */
  latencyMs?: number;
  /** added before calls to the named operations, on top of latencyMs */
  latencyByOperation?: Record<string, number>;
  /** answer ThrottlingException (400) */
  throttle?: FaultTrigger | null;
  /** answer the given error with its real status */
  fail?: FailFault | null;
  /** never answer (the socket stays open until the client gives up or the server closes) */
  hang?: FaultTrigger | null;
  /**
   * hold the call unanswered until released (`release()`, `clear()`, `POST /__admin/release`, `DELETE /__admin/faults`),
   * then answer it as if it had just arrived; a call whose client gives up meanwhile is dropped, never run
   */
  hold?: FaultTrigger | null;
  /** Sign returns bytes that are not valid DER (ECDSA) or a truncated signature (others) */
  malformedSignature?: FaultTrigger | null;
  /** Sign returns a well-formed signature by the key over a different message: it parses but does not verify */
  wrongSignature?: FaultTrigger | null;
  /** answer AccessDeniedException (400), as KMS does when the key policy or IAM denies the caller */
  accessDenied?: FaultTrigger | null;
  /** ECDSA S value: random (like KMS) or always above n/2 */
  highS?: HighSMode;
}

interface Armed<T extends FaultTrigger> {
  spec: T;
  remaining?: number;
  until?: number;
}

export interface FaultSnapshot {
  latencyMs: number;
  latencyByOperation: Record<string, number>;
  throttle?: FaultTrigger & { remaining?: number; until?: number };
  fail?: FailFault & { remaining?: number; until?: number };
  hang?: FaultTrigger & { remaining?: number; until?: number };
  hold?: FaultTrigger & { remaining?: number; until?: number };
  malformedSignature?: FaultTrigger & { remaining?: number; until?: number };
  wrongSignature?: FaultTrigger & { remaining?: number; until?: number };
  accessDenied?: FaultTrigger & { remaining?: number; until?: number };
  highS: HighSMode;
}

const TRIGGERS = ['throttle', 'fail', 'hang', 'hold', 'malformedSignature', 'wrongSignature', 'accessDenied'] as const;
type TriggerName = (typeof TRIGGERS)[number];

/** Thrown for a fault spec that does not make sense (bad numbers, unknown error type). */
export class FaultSpecError extends Error {}

function checkTrigger(name: string, t: FaultTrigger): void {
  for (const field of ['count', 'forMs'] as const) {
    const v = t[field];
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
      throw new FaultSpecError(`${name}.${field} must be a non-negative integer`);
    }
  }
  if (t.operations !== undefined && (!Array.isArray(t.operations) || t.operations.some((o) => typeof o !== 'string'))) {
    throw new FaultSpecError(`${name}.operations must be a list of operation names`);
  }
  if (t.keyIds !== undefined && (!Array.isArray(t.keyIds) || t.keyIds.some((k) => typeof k !== 'string' || k === ''))) {
    throw new FaultSpecError(`${name}.keyIds must be a list of key ids, key ARNs or aliases`);
  }
}

/** Validates a fault spec (from code or from the admin endpoint's JSON). */
export function checkFaultSpec(spec: unknown): FaultSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new FaultSpecError('fault spec must be a JSON object');
  }
  const s = spec as Record<string, unknown>;
  const known = ['latencyMs', 'latencyByOperation', ...TRIGGERS, 'highS'];
  const unknown = Object.keys(s).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new FaultSpecError(`unknown fault field(s): ${unknown.join(', ')}; known: ${known.join(', ')}`);
  if (s.latencyMs !== undefined && (typeof s.latencyMs !== 'number' || !(s.latencyMs >= 0))) {
    throw new FaultSpecError('latencyMs must be a non-negative number');
  }
  if (s.latencyByOperation !== undefined) {
    const l = s.latencyByOperation;
    if (typeof l !== 'object' || l === null || Object.values(l).some((v) => typeof v !== 'number' || !(v >= 0))) {
      throw new FaultSpecError('latencyByOperation must map operation names to non-negative numbers');
    }
  }
  for (const name of TRIGGERS) {
    const t = s[name];
    if (t === undefined || t === null) continue;
    if (typeof t !== 'object' || Array.isArray(t)) throw new FaultSpecError(`${name} must be an object or null`);
    checkTrigger(name, t as FaultTrigger);
  }
  if (s.fail && !isKmsErrorCode((s.fail as FailFault).errorType)) {
    throw new FaultSpecError(`fail.errorType must be a KMS error code such as KMSInternalException`);
  }
  if (s.highS !== undefined && s.highS !== 'random' && s.highS !== 'always') {
    throw new FaultSpecError("highS must be 'random' or 'always'");
  }
  return s as FaultSpec;
}

/**
 * Live fault settings of a running kms-local. Every setter applies to calls that arrive after it; count
 * triggers are consumed by matching calls only.
 */
export class Faults {
  private latencyMs = 0;
  private latencyByOperation: Record<string, number> = {};
  private highSMode: HighSMode = 'random';
  private armed: Partial<Record<TriggerName, Armed<FaultTrigger>>> = {};
  /** the release functions of the calls held now */
  private readonly holding = new Set<() => void>();
  private heldWaiters: { count: number; resolve: () => void }[] = [];

  constructor(
    initial?: FaultSpec,
    private readonly now: () => number = Date.now,
  ) {
    if (initial) this.set(initial);
  }

  /** Applies the given fields; fields left out keep their value, `null` clears a trigger. */
  set(spec: FaultSpec): void {
    checkFaultSpec(spec);
    if (spec.latencyMs !== undefined) this.latencyMs = spec.latencyMs;
    if (spec.latencyByOperation !== undefined) this.latencyByOperation = { ...spec.latencyByOperation };
    if (spec.highS !== undefined) this.highSMode = spec.highS;
    for (const name of TRIGGERS) {
      const t = spec[name];
      if (t === undefined) continue;
      if (t === null) {
        delete this.armed[name];
      } else {
        this.armed[name] = {
          spec: { ...t },
          remaining: t.count,
          until: t.forMs !== undefined ? this.now() + t.forMs : undefined,
        };
      }
    }
  }

  /** Back to no faults: no latency, no triggers, random S; the calls held now are released. */
  clear(): void {
    this.latencyMs = 0;
    this.latencyByOperation = {};
    this.highSMode = 'random';
    this.armed = {};
    this.release();
  }

  throttleNext(count: number, operations?: string[]): void {
    this.set({ throttle: { count, operations } });
  }

  throttleFor(ms: number, operations?: string[]): void {
    this.set({ throttle: { forMs: ms, operations } });
  }

  failNext(count: number, errorType: KmsErrorCode, options: { message?: string; operations?: string[] } = {}): void {
    this.set({ fail: { count, errorType, ...options } });
  }

  /** Never answer matching calls (all of them when called without a trigger). */
  hang(trigger: FaultTrigger = {}): void {
    this.set({ hang: trigger });
  }

  /** Hold matching calls (all of them when called without a trigger) until `release()` or `clear()`. */
  hold(trigger: FaultTrigger = {}): void {
    this.set({ hold: trigger });
  }

  /** Lets every held call proceed (answered as if it had just arrived); returns how many there were. */
  release(): number {
    const held = [...this.holding];
    this.holding.clear();
    for (const proceed of held) proceed();
    return held.length;
  }

  /** How many calls are held now (a held call whose client gave up is no longer counted). */
  held(): number {
    return this.holding.size;
  }

  /** Resolves once at least `count` calls are held at the same time. */
  waitHeld(count = 1): Promise<void> {
    if (this.holding.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.heldWaiters.push({ count, resolve }));
  }

  setLatency(ms: number, operation?: string): void {
    if (operation === undefined) this.set({ latencyMs: ms });
    else this.set({ latencyByOperation: { ...this.latencyByOperation, [operation]: ms } });
  }

  malformedSignatures(trigger: FaultTrigger = {}): void {
    this.set({ malformedSignature: trigger });
  }

  setHighS(mode: HighSMode): void {
    this.set({ highS: mode });
  }

  snapshot(): FaultSnapshot {
    const out: FaultSnapshot = {
      latencyMs: this.latencyMs,
      latencyByOperation: { ...this.latencyByOperation },
      highS: this.highSMode,
    };
    for (const name of TRIGGERS) {
      const a = this.live(name);
      if (a) Object.assign(out, { [name]: { ...a.spec, remaining: a.remaining, until: a.until } });
    }
    return out;
  }

  // ---- used by the server ----

  latencyFor(operation: string): number {
    return this.latencyMs + (this.latencyByOperation[operation] ?? 0);
  }

  highS(): HighSMode {
    return this.highSMode;
  }

  /** True when the named fault fires for this call (on key `keyId`, if any); consumes one count. */
  fires(name: Exclude<TriggerName, 'fail'>, operation: string, keyId?: string): boolean {
    return this.take(name, operation, keyId) !== undefined;
  }

  /** The error to answer with when the fail fault fires for this call. */
  failure(operation: string, keyId?: string): FailFault | undefined {
    return this.take('fail', operation, keyId) as FailFault | undefined;
  }

  /**
   * Holds a call the hold fault caught: resolves true once released, or false if `signal` aborts first (the client
   * gave up; the call is forgotten).
   */
  holdCall(signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(false);
      const abandon = () => {
        this.holding.delete(proceed);
        resolve(false);
      };
      const proceed = () => {
        signal.removeEventListener('abort', abandon);
        resolve(true);
      };
      signal.addEventListener('abort', abandon, { once: true });
      this.holding.add(proceed);
      const ready = this.heldWaiters.filter((w) => this.holding.size >= w.count);
      this.heldWaiters = this.heldWaiters.filter((w) => this.holding.size < w.count);
      for (const w of ready) w.resolve();
    });
  }

  private live(name: TriggerName): Armed<FaultTrigger> | undefined {
    const a = this.armed[name];
    if (!a) return undefined;
    if ((a.remaining !== undefined && a.remaining <= 0) || (a.until !== undefined && this.now() >= a.until)) {
      delete this.armed[name];
      return undefined;
    }
    return a;
  }

  private take(name: TriggerName, operation: string, keyId?: string): FaultTrigger | undefined {
    const a = this.live(name);
    if (!a) return undefined;
    if (a.spec.operations && !a.spec.operations.includes(operation)) return undefined;
    if (a.spec.keyIds && !a.spec.keyIds.some((k) => keyId !== undefined && (keyId === k || keyId.endsWith(`:key/${k}`)))) return undefined;
    if (a.remaining !== undefined) a.remaining -= 1;
    return a.spec;
  }
}
