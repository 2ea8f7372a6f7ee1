export * from './dynalite';
export * from './postgres';
export * from './hook-server';
export * from './test-keys';
