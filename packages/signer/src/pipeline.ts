import {
  blake2b256,
  chainIdToB58,
  CONSENSUS_KINDS,
  CURVE_OF_PKH,
  parseSignRequest,
  policyKind,
  readWatermarkFields,
  SignatoryError,
  toHex,
  watermarkSlot,
  type ConsensusKind,
  type LegacyRequestKind,
  type RequestKind,
  type SignerKeyType,
  type SignRequest,
  type Slot,
} from '@signatory-ts/core';
import type { Decision, Policy, SignContext } from '@signatory-ts/policy';
import { signWithWatermark, type GuardedSignResult, type WatermarkStore } from '@signatory-ts/watermark';

/**
 * The stages of one sign request, each a small function with one job. The signer (signer.ts)
 * runs them in Go Signatory's order: listed -> decode -> key lookup -> authorize -> watermark-guarded
 * sign (lock slot, check, sign, persist, release).
 */

/** What the decode stage reads from the request bytes. */
export interface DecodedRequest {
  readonly kind: RequestKind | LegacyRequestKind;
  /** `Net…` for block, preattestation and attestation requests. */
  readonly chainId?: string;
  readonly level?: number;
  readonly round?: number;
  /** Generic requests: the policy kind of each operation, in order. */
  readonly operationKinds?: readonly string[];
  /** Generic requests: the whole decoded request (every amount, fee and destination, for limits). */
  readonly generic?: SignRequest;
}

const CONSENSUS = new Set<string>(CONSENSUS_KINDS);

export function isConsensus(kind: string): kind is ConsensusKind {
  return CONSENSUS.has(kind);
}

/** The key type a pkh's prefix names (tz1..tz4), for the decoder's tag check. */
export function keyTypeOf(pkh: string): SignerKeyType | undefined {
  const p = pkh.slice(0, 3);
  return Object.hasOwn(CURVE_OF_PKH, p) ? (p as SignerKeyType) : undefined;
}

/**
 * Decode: block and consensus requests are read at fixed offsets (no base58, no full decode, still
 * strict); generic and pack requests through the full decoder, since policy needs every
 * operation's kind. Throws core's DecodeError (bad_request) for anything malformed.
 */
export function decodeStage(bytes: Uint8Array, keyType: SignerKeyType | undefined): DecodedRequest {
  const fields = readWatermarkFields(bytes, keyType);
  if (fields !== undefined) {
    return { kind: fields.kind, chainId: chainIdToB58(fields.chainId), level: fields.level, round: fields.round };
  }
  const req = parseSignRequest(bytes, keyType);
  switch (req.kind) {
    case 'generic':
      return { kind: 'generic', operationKinds: req.operations.map(policyKind), generic: req };
    case 'legacy_block':
    case 'legacy_endorsement':
      return { kind: req.kind, chainId: String(req.chainId), level: req.level };
    case 'pack':
      return { kind: 'pack' };
    default:
      // readWatermarkFields answers for every block/consensus magic byte
      throw new SignatoryError('internal', `decoder returned ${req.kind} for a non-consensus magic byte`);
  }
}

/** Operation kind -> count (generic), or `{<kind>: 1}`: Signatory's `ops` log field and metric label source. */
export function opStats(req: DecodedRequest): Record<string, number> {
  if (req.operationKinds === undefined) return { [req.kind]: 1 };
  const out: Record<string, number> = {};
  for (const k of req.operationKinds) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/**
 * Authorize: the signer's policy (the static one, or static then hook) over the decoded request.
 * A refusal is a value. The request bytes and the client's address go along for the hook.
 */
export function authorizeStage(
  policy: Policy,
  pkh: string,
  bytes: Uint8Array,
  req: DecodedRequest,
  client: { clientPkh?: string; jwtUser?: string; source?: string },
): Decision | Promise<Decision> {
  const ctx: SignContext = {
    pkh,
    requestKind: req.kind,
    request: bytes,
    ...(req.operationKinds !== undefined ? { operationKinds: req.operationKinds } : {}),
    ...(req.generic !== undefined ? { generic: req.generic } : {}),
    ...(req.chainId !== undefined ? { chainId: req.chainId } : {}),
    ...(client.clientPkh !== undefined ? { clientPkh: client.clientPkh } : {}),
    ...(client.jwtUser !== undefined ? { jwtUser: client.jwtUser } : {}),
    ...(client.source !== undefined ? { source: client.source } : {}),
  };
  return policy.evaluate(ctx);
}

/**
 * Lock -> check -> sign -> persist -> release for consensus requests (packages/watermark's
 * signWithWatermark); generic and pack requests carry no level and are signed as they come.
 */
export async function guardedSignStage(
  store: WatermarkStore,
  pkh: string,
  bytes: Uint8Array,
  req: DecodedRequest,
  sign: () => Promise<string>,
): Promise<GuardedSignResult & { slot?: Slot }> {
  if (!isConsensus(req.kind)) return { status: 'signed', signature: await sign() };
  const slot = watermarkSlot(req.chainId!, pkh, req.kind);
  const r = await signWithWatermark(store, slot, { level: req.level!, round: req.round!, digest: blake2b256(bytes) }, sign);
  return { ...r, slot };
}

/** Bytes of a refused request shown in its log line: enough to recognise it, not 64 KiB per line. */
const RAW_LOGGED = 256;

/**
 * The `raw` log field of a refused request: its hex, or for a longer one the hex of its first
 * 256 bytes then `…` and its length, so garbage sent to any URL cannot write 128 KiB log lines.
 */
export const rawHex = (bytes: Uint8Array): string =>
  bytes.length <= RAW_LOGGED ? toHex(bytes) : `${toHex(bytes.subarray(0, RAW_LOGGED))}…(${bytes.length} bytes)`;
