export * from './decision';
export * from './key-policy';
export * from './evaluate';
export * from './static-policy';
export * from './limits';
