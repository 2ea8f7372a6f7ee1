export * from './decision';
export * from './key-policy';
export * from './evaluate';
export * from './static-policy';
export * from './limits';
export * from './json-members';
export * from './policy-hook';
