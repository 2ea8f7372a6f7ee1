export * from './watermark-store';
export * from './slot-lock';
export * from './sign-once';
export * from './memory-store';
export * from './file-store';
export { WatermarkFileError } from './watermark-file';
export { WatermarkLockError } from './file-lock';
export { BaseDirError, checkBaseDir } from './base-dir';
export { openWatermarkStore, type OpenStoreOptions } from './open-store';
