export * from './dynalite';
export * from './postgres';
