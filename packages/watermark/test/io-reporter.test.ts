import { performance } from 'node:perf_hooks';
import type { WatermarkIoEvent } from '../src';
import { ioReporter } from '../src/io-reporter';

it('reports the operation, its seconds, where it ran and the error type when set', () => {
  const events: WatermarkIoEvent[] = [];
  const report = ioReporter((e) => events.push(e), { backend: 'postgres', table: 'wm' });
  const t0 = performance.now();
  report('write', t0);
  report('read', t0, 'timeout');
  expect(events).toEqual([
    { operation: 'write', seconds: expect.any(Number), backend: 'postgres', table: 'wm' },
    { operation: 'read', seconds: expect.any(Number), backend: 'postgres', table: 'wm', error: 'timeout' },
  ]);
  expect(events.every((e) => e.seconds >= 0)).toBe(true);
});

it('ignores an observer that throws, and no observer at all', () => {
  const throwing = ioReporter(
    () => {
      throw new Error('metrics down');
    },
    { backend: 'aws', table: 'wm' },
  );
  expect(() => throwing('create', performance.now())).not.toThrow();
  expect(() => ioReporter(undefined, {})('read', performance.now())).not.toThrow();
});
