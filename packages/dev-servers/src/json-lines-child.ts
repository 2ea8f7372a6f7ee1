import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import readline from 'node:readline';

/** One line a child wrote: a JSON object. */
export type JsonLine = Record<string, unknown>;

/** A child process that writes one JSON object per line on stdout (a test worker), and what it wrote so far. */
export interface JsonLinesChild {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every line written so far, in order. */
  readonly lines: JsonLine[];
  /** The exit code (null when killed by a signal), once every line the child wrote is in `lines`. */
  readonly exited: Promise<number | null>;
  /** The first line, already written or to come, that `pred` accepts; rejects, with the child's stderr, if the child ends first. */
  waitFor(pred: (line: JsonLine) => boolean): Promise<JsonLine>;
}

/** Starts `argv` (command first) with piped stdio and reads its stdout as JSON lines. */
export function spawnJsonLines(argv: readonly string[]): JsonLinesChild {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'pipe' });
  const lines: JsonLine[] = [];
  const waiters: { pred: (line: JsonLine) => boolean; resolve: (line: JsonLine) => void }[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  readline.createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as JsonLine;
    lines.push(line);
    for (const w of waiters.filter((w) => w.pred(line))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  // 'close', not 'exit': the child has exited and its stdout and stderr are read to the end
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const waitFor = (pred: (line: JsonLine) => boolean) => {
    const seen = lines.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<JsonLine>((resolve, reject) => {
      waiters.push({ pred, resolve });
      void exited.then(() => reject(new Error(`${argv.join(' ')} exited before the expected line; stderr:\n${stderr}`)));
    });
  };
  return { child, lines, exited, waitFor };
}
