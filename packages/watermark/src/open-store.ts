import type { Config } from '@signatory-ts/config';
import { DynamoWatermarkStore } from './dynamo-store';
import { FileWatermarkStore } from './file-store';
import { MemoryWatermarkStore } from './memory-store';
import { PostgresWatermarkStore } from './postgres-store';
import type { WatermarkIoObserver, WatermarkStore } from './watermark-store';

export interface OpenStoreOptions {
  /** Storage operations, for metrics (Go Signatory's `watermark_io_*`). */
  readonly onIo?: WatermarkIoObserver;
  /** Start-up messages of a shared store (e.g. DynamoDB's "created table"). */
  readonly log?: (message: string) => void;
  /** Findings at opening that do not stop the signer (e.g. a PostgreSQL server with synchronous_commit off). */
  readonly onWarning?: (message: string) => void;
}

/**
 * The watermark store `watermark.driver` names (file by default, under base_dir), ready to use:
 * the daemon and the CLI open their store here, so both see the same marks.
 */
export async function openWatermarkStore(
  config: Pick<Config, 'baseDir' | 'watermark'>,
  options: OpenStoreOptions = {},
): Promise<WatermarkStore> {
  const { onIo, log, onWarning } = options;
  switch (config.watermark.driver) {
    case 'mem':
      return new MemoryWatermarkStore();
    case 'file':
      return new FileWatermarkStore({ baseDir: config.baseDir, ...(onIo !== undefined ? { onIo } : {}) });
    case 'aws':
      return DynamoWatermarkStore.open(config.watermark.config, {
        ...(onIo !== undefined ? { onIo } : {}),
        ...(log !== undefined ? { log } : {}),
      });
    case 'postgres':
      return PostgresWatermarkStore.open({
        config: config.watermark.postgres,
        ...(onIo !== undefined ? { onIo } : {}),
        ...(onWarning !== undefined ? { onWarning } : {}),
      });
  }
}
