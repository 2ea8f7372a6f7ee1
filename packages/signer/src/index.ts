export { createSigner, type Signer, type SignerOptions, type SignInput, type KeyPolicyEntry } from './signer';
export { KeyIndex, type IndexSnapshot, type SkippedKey, type VaultFailure, type KeyIndexOptions } from './key-index';
export { ClientAuth, authenticatedBytes } from './client-auth';
export { parseSigningVersion, type SigningVersion } from './signing-version';
export { withDeadline } from './deadline';
export { SignLane, type SignLaneOptions } from './sign-lane';
export { SpendStage, type SpendWindows } from './spend-stage';
export { SILENT_LOGGER, type SignerLogger, type SignerEvents, type LogFields } from './signer-events';
export { decodeStage, authorizeStage, guardedSignStage, opStats, keyTypeOf, type DecodedRequest } from './pipeline';
export {
  StaticPolicy,
  PolicyChain,
  PolicyHook,
  DEFAULT_HOOK_TIMEOUT_MS,
  type Policy,
  type Decision,
  type Denial,
  type PolicyHookCall,
} from '@signatory-ts/policy';
