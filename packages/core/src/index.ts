export * from './bytes';
export * from './hash';
export * from './base58';
export * from './kinds';
export * from './errors';
export * from './vault';
