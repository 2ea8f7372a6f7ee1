import type { Config } from '@signatory-ts/config';
import { SignatoryError } from '@signatory-ts/core';
import { DynamoSpendLedger } from './dynamo-ledger';
import { FileSpendLedger } from './file-ledger';
import { MemorySpendLedger } from './memory-ledger';
import { PostgresSpendLedger } from './postgres-ledger';
import type { SpendLedger } from './spend-ledger';

export interface OpenLedgerOptions {
  /** Start-up messages of a shared store (DynamoDB's "created table"). */
  readonly log?: (message: string) => void;
}

/**
 * The spend ledger in the store `watermark.driver` names, with the same connection settings, so
 * replicas sharing their watermarks share one budget too: `file` → `<base_dir>/spend_ledger/`,
 * `aws` → the DynamoDB table `<watermark.config.table>_spend`, `postgres` → the PostgreSQL table
 * `<watermark table>_spend`, `mem` → memory (gone at exit).
 */
export async function openSpendLedger(
  config: Pick<Config, 'baseDir' | 'watermark'>,
  options: OpenLedgerOptions = {},
): Promise<SpendLedger> {
  const wm = config.watermark;
  switch (wm.driver) {
    case 'mem':
      return new MemorySpendLedger();
    case 'file':
      return new FileSpendLedger({ baseDir: config.baseDir });
    case 'aws':
      return DynamoSpendLedger.open(
        { ...wm.config, table: `${wm.config.table}_spend` },
        options.log !== undefined ? { log: options.log } : {},
      );
    case 'postgres':
      return PostgresSpendLedger.open({ ...wm.postgres, table: `${wm.postgres.table}_spend` });
    default:
      throw new SignatoryError(
        'config_invalid',
        `spend caps (limits.spend) are not supported with watermark driver ${JSON.stringify((wm as { driver: string }).driver)} yet: ` +
          'remove limits.spend, or use watermark driver file, aws or postgres',
      );
  }
}
