export { startKmsLocal, type KmsLocal, type KmsLocalOptions, type CreatedKey } from './server';
export { Faults, FaultSpecError, checkFaultSpec, type FaultSpec, type FaultTrigger, type FailFault, type FaultSnapshot } from './faults';
export { KmsError, KMS_ERROR_STATUS, isKmsErrorCode, type KmsErrorCode } from './errors';
export { KEY_SPECS, isKeySpec, type KeySpec, type KeyUsage } from './keySpecs';
export type { NewKey } from './kms';
export type { StaticCredentials } from './auth';
export type { HighSMode } from './signing';
export { spawnKmsLocal, type SpawnKmsLocalOptions, type SpawnedKmsLocal } from './spawn';
