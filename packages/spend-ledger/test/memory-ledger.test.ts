import { MemorySpendLedger } from '../src';
import { describeSpendLedger } from './ledger-conformance';

describeSpendLedger('MemorySpendLedger', { open: async () => new MemorySpendLedger() });
