// The public API: what the other packages, apps, scripts and benches use. Anything else is internal to core.
export { fromHex, toHex, concatBytes } from './bytes';
export { blake2b256 } from './hash';
export { b58Encode, b58Decode, type PrefixName } from './base58';
export {
  REQUEST_KINDS,
  type RequestKind,
  LEGACY_REQUEST_KINDS,
  type LegacyRequestKind,
  CONSENSUS_KINDS,
  type ConsensusKind,
  DEFAULT_ALLOWED_REQUESTS,
  PSEUDO_OPERATION_KINDS,
  BALLOT_VOTES,
  KIND_ALIASES,
} from './kinds';
export { isSignatoryError, type ErrorCode, SignatoryError } from './errors';
export { type KeyRef, type Listed, type Vault } from './vault';
export { orList, DECODE_ERROR_REASONS, type DecodeErrorReason, DECODE_ERROR_DESCRIPTIONS, DecodeError } from './decode-error';
export { labelOf } from './field-codecs';
export { CONSENSUS_TAGS, type SignerKeyType } from './consensus';
export { LIQUIDITY_BAKING_VOTES } from './block';
export { MANAGER_HEADER, USHUAIA_OPERATIONS, CONSENSUS_ONLY_TAGS, TALLINN_DAL_ENTRAPMENT_EVIDENCE } from './operation-table';
export {
  defineProtocol,
  type ProtocolTables,
  PROTOCOL_REGISTRY,
  type Protocol,
  CURRENT_PROTOCOL,
  PROTOCOLS,
  OPERATION_TABLES,
  OPERATION_KINDS,
} from './protocols';
export { policyKind, type DecodedOperation } from './operation';
export { readWatermarkFields, chainIdToB58 } from './watermark-fields';
export { parseSignRequest, type ConsensusRequest, type GenericRequest, type SignRequest, MAGIC_BYTES } from './sign-request';
export { B58 } from './b58';
export {
  watermarkKind,
  watermarkSlot,
  slotKey,
  compareWatermark,
  type Mark,
  WATERMARK_KINDS,
  type WatermarkKind,
  type Slot,
} from './watermark-rule';
export { publicKeyHash } from './public-key-hash';
export { prefixesOf, CURVES, type Curve, CURVE_OF_PKH, PKH_PREFIXES } from './curves';
export { parsePublicKey, encodePublicKey, pkhOf, publicKeyFromSpki, type PublicKey } from './public-key';
export { normalizeLowS, encodeSignature, parseSignature, createDigestVerifier, type DigestVerifier } from './signature';
export { wipe, isEncryptedSecretKey, parseSecretKey, secretKeyPublicKey, secretKeyToPkcs8, signWithSecretKey } from './secret-key';
export { derToCompact } from './der';
