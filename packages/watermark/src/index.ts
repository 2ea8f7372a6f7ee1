export * from './watermark-store';
export * from './slot-lock';
export * from './sign-once';
export * from './memory-store';
export * from './file-store';
export { DynamoWatermarkStore, type DynamoStoreOptions } from './dynamo-store';
export { PostgresWatermarkStore, type PostgresWatermarkStoreOptions } from './postgres-store';
export { createTableSql as postgresCreateTableSql } from './postgres-table';
export { WatermarkFileError } from './watermark-file';
export { WatermarkLockError } from './file-lock';
export { BaseDirError, checkBaseDir } from './base-dir';
export { openWatermarkStore, type OpenStoreOptions } from './open-store';
// for other stores under base_dir (the spend ledger): the same kernel lock and directory creation
export { FileLock, uniqueSuffix, type HeldLock } from './file-lock';
export { makeDir } from './base-dir';
export { createDynamoClient } from './dynamo-client';
export { waitTableActive } from './dynamo-table';
export { postgresPoolConfig } from './postgres-pool';
export { removeDeadTemps, replaceDurably } from './durable-replace';
