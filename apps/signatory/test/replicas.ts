import { blake2b256, createDigestVerifier, fromHex, parsePublicKey, parseSignature } from '@signatory-ts/core';
import { E2e, stop, type KmsKey, type KmsKeySpec, type Proc } from './processes';

/**
 * Several `signatory serve` replicas on one watermark store, and a checker of what they released.
 * Built binaries (processes.ts): build the signatory app and kms-local first.
 */

export interface Replica {
  proc: Proc;
  url: string;
  utilityUrl: string;
}

/** An E2e fixture (kms-local, keys, one config, so one base_dir and one store) and `count` replicas on it. */
export class ReplicaSet {
  readonly replicas: Replica[] = [];

  private constructor(
    readonly e2e: E2e,
    private readonly args: string[],
  ) {}

  /**
   * `allow`: each key's `allow:` value (and lines under it, such as `limits:`); default writeConfig's.
   * `args`: extra `signatory serve` flags of every replica.
   */
  static async start(o: {
    name: string;
    specs: readonly KmsKeySpec[];
    storeYaml: string;
    count: number;
    allow?: string;
    args?: string[];
  }): Promise<ReplicaSet> {
    const e2e = await E2e.start(o.name, o.specs);
    const set = new ReplicaSet(e2e, o.args ?? []);
    try {
      await e2e.config(e2e.configFile, { allow: o.allow, extra: o.storeYaml });
      await Promise.all(Array.from({ length: o.count }, (_, i) => set.restart(i)));
    } catch (e) {
      await e2e.stop();
      throw e;
    }
    return set;
  }

  /** The replicas' base_dir. */
  get dir(): string {
    return this.e2e.dir;
  }

  get keys(): readonly KmsKey[] {
    return this.e2e.keys;
  }

  /** Starts replica `i` (again: a new process on a new port, same config). */
  async restart(i: number): Promise<Replica> {
    this.replicas[i] = await this.e2e.serve({ args: this.args });
    return this.replicas[i];
  }

  async kill9(i: number): Promise<void> {
    await stop(this.replicas[i]!.proc, 'SIGKILL');
  }

  /** SIGTERM to every replica still running (a clean stop), then the fixture's stop. */
  async stop(): Promise<void> {
    await Promise.all(this.e2e.started.map((p) => stop(p)));
    await this.e2e.stop();
  }
}

export interface Answer {
  status: number;
  signature?: string;
  /** The error text of a non-200 answer. */
  msg?: string;
}

/** POSTs `hex` for `pkh` to `url`; undefined if the replica cannot be reached (killed). */
export async function sign(url: string, pkh: string, hex: string): Promise<Answer | undefined> {
  let r: Response;
  let text: string;
  try {
    r = await fetch(`${url}/keys/${pkh}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hex) });
    text = await r.text();
  } catch {
    return undefined;
  }
  if (r.status === 200) return { status: 200, signature: (JSON.parse(text) as { signature: string }).signature };
  return { status: r.status, msg: text };
}

/**
 * Records every signature released, by slot (chain, key, slot kind, level, round), and checks the
 * one rule that matters: no slot ever released two different signatures, and every signature
 * released is a valid one over the request that got it.
 */
export class ReleaseChecker {
  private readonly bySlot = new Map<string, Map<string, string>>(); // slot → signature → request hex
  released = 0;

  record(slot: string, hex: string, answer: Answer | undefined, publicKey: string): void {
    if (answer?.status !== 200) return;
    this.released++;
    const sigs = this.bySlot.get(slot) ?? new Map<string, string>();
    this.bySlot.set(slot, sigs);
    const pk = parsePublicKey(publicKey);
    const sig = parseSignature(answer.signature!);
    if (sig.curve !== pk.curve || !createDigestVerifier(pk)(blake2b256(fromHex(hex)), sig.bytes)) {
      throw new Error(`${slot}: released a signature that does not verify: ${answer.signature}`);
    }
    sigs.set(answer.signature!, hex);
  }

  /** Slots that released more than one signature, with the requests that got them (must be empty). */
  doubleSigned(): string[] {
    return [...this.bySlot].filter(([, sigs]) => sigs.size > 1).map(([slot, sigs]) => `${slot}: ${[...sigs.values()].join(' / ')}`);
  }

  /** How many slots released a signature. */
  get slots(): number {
    return this.bySlot.size;
  }
}
