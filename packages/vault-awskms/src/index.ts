export {};
export { KEY_SPEC_BY_TYPE, kmsKeyType, kmsTezosKey, type KmsKeyType, type KmsKeySpec, type TezosPublicKey } from './kms-public-key';
export {
  generateKey,
  aliasName,
  finishOrDelete,
  CLEANUP_WINDOW_DAYS,
  type CreatedKmsKey,
  type GenerateKeyInput,
  type StepLog,
} from './create-key';
export { importKey, WRAPPING_ALGORITHMS, type ImportKeyInput, type WrappingAlgorithm } from './import-key';
export { AwsKmsVault, type AwsKmsVaultOptions } from './kms-vault';
export { createKmsClient, type KmsClientOptions } from './create-kms-client';
export { AwsKmsKey } from './kms-key';
export { KMS_CURVES, SIGNING_BY_KEY_SPEC, unusableKeySpec, type KmsCurve } from './key-spec';
export { KmsCallFailed, explainKmsFailure, isRetryable } from './kms-failure';
