export * from './bytes';
export * from './hash';
export * from './base58';
