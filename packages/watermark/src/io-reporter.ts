import type { WatermarkIoEvent, WatermarkIoObserver } from './watermark-store';

/** Reports one storage operation begun at `t0` (performance.now()), failed with `error` when set. */
export type IoReporter = (operation: WatermarkIoEvent['operation'], t0: number, error?: string) => void;

/**
 * A store's reporter to `onIo`, its events carrying `where` (backend, table). An observer that
 * throws is ignored: a metrics observer must not turn a durable commit into a failure.
 */
export function ioReporter(onIo: WatermarkIoObserver | undefined, where: Pick<WatermarkIoEvent, 'backend' | 'table'>): IoReporter {
  return (operation, t0, error) => {
    try {
      onIo?.({ operation, seconds: (performance.now() - t0) / 1000, ...where, ...(error === undefined ? {} : { error }) });
    } catch {
      // ignored, see above
    }
  };
}
