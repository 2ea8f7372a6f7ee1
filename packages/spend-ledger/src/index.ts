export * from './spend-ledger';
export { MemorySpendLedger } from './memory-ledger';
export { FileSpendLedger, type FileSpendLedgerOptions } from './file-ledger';
export { DynamoSpendLedger, type DynamoSpendLedgerOptions } from './dynamo-ledger';
export { PostgresSpendLedger, createLedgerTableSql, type PostgresLedgerConfig } from './postgres-ledger';
export { openSpendLedger, type OpenLedgerOptions } from './open-ledger';
export { MAX_ENTRIES } from './ledger-document';
