import type { Config } from '@signatory-ts/config';
import { FileWatermarkStore } from './file-store';
import { MemoryWatermarkStore } from './memory-store';
import type { WatermarkIoObserver, WatermarkStore } from './watermark-store';

export interface OpenStoreOptions {
  /** Storage operations, for metrics (Go Signatory's `watermark_io_*`). */
  readonly onIo?: WatermarkIoObserver;
}

/**
 * The watermark store `watermark.driver` names (file by default, under base_dir), ready to use:
 * the daemon and the CLI open their store here, so both see the same marks.
 */
export async function openWatermarkStore(
  config: Pick<Config, 'baseDir' | 'watermark'>,
  options: OpenStoreOptions = {},
): Promise<WatermarkStore> {
  const { onIo } = options;
  switch (config.watermark.driver) {
    case 'mem':
      return new MemoryWatermarkStore();
    case 'file':
      return new FileWatermarkStore({ baseDir: config.baseDir, ...(onIo !== undefined ? { onIo } : {}) });
  }
}
