export * from './dynalite';
export * from './postgres';
export * from './hook-server';
export * from './test-keys';
export * from './json-lines-child';
export * from './temp-dirs';
export * from './process-alive';
export * from './test-certs';
