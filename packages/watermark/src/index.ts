export * from './watermark-store';
export * from './slot-lock';
export * from './sign-once';
export * from './memory-store';
