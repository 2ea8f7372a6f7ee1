import { throttledLog } from '../src/throttled-log';

describe('throttledLog', () => {
  it('writes `limit` lines a window, then says how many it held back when the window ends, and starts again', async () => {
    const lines: string[] = [];
    let onLine: (() => void) | undefined;
    const log = throttledLog((m) => (lines.push(m), onLine?.()), { limit: 2, windowMs: 50, what: 'failed handshakes' });
    for (let i = 1; i <= 5; i++) log.write(`line ${i}`, {});
    expect(lines).toEqual(['line 1', 'line 2']);
    await new Promise<void>((resolve) => (onLine = resolve)); // the window's end
    expect(lines).toEqual(['line 1', 'line 2', '3 more failed handshakes in the last 0.05 s were not logged']);
    log.write('line 6', {});
    expect(lines.at(-1)).toBe('line 6');
  });

  it('close says what is held back at once and stops the window', () => {
    const lines: string[] = [];
    const log = throttledLog((m) => lines.push(m), { limit: 1, windowMs: 3_600_000, what: 'failed handshakes' });
    log.write('a', {});
    log.write('b', {});
    log.close();
    expect(lines).toEqual(['a', '1 more failed handshakes in the last 3600 s were not logged']);
    log.close();
    expect(lines).toHaveLength(2); // nothing held any more
  });
});
