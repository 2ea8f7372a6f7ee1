/** A throttled log line: `write` it, `close` it to say what is still held back and stop its timer. */
export interface ThrottledLog {
  write(message: string, fields: Record<string, unknown>): void;
  close(): void;
}

/**
 * A log line that a stranger can cause (a failed TLS handshake) written at most `limit` times a
 * window: a scanner or a misconfigured client in a loop cannot fill the disk or bury the lines that
 * matter. What is held back is counted and said in one line when its window ends (or at close).
 */
export function throttledLog(
  write: (message: string, fields: Record<string, unknown>) => void,
  options: { readonly limit: number; readonly windowMs: number; readonly what: string },
): ThrottledLog {
  let written = 0;
  let held = 0;
  let window: NodeJS.Timeout | undefined;
  const close = () => {
    clearTimeout(window);
    window = undefined;
    if (held > 0) write(`${held} more ${options.what} in the last ${options.windowMs / 1000} s were not logged`, { not_logged: held });
    written = 0;
    held = 0;
  };
  return {
    write(message, fields) {
      if (window === undefined) {
        window = setTimeout(close, options.windowMs);
        window.unref();
      }
      if (written < options.limit) {
        written += 1;
        write(message, fields);
      } else held += 1;
    },
    close,
  };
}
