import { SignatoryError } from '@signatory-ts/core';
import { readStreamBounded } from './bounded-read';

/**
 * Asks on the terminal without echoing what is typed (for secret keys and passwords). The
 * question goes to stderr; the answer is read from stdin in raw mode. Ctrl-C or Ctrl-D aborts.
 */
export function promptHidden(
  question: string,
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  if (!input.isTTY) {
    return Promise.reject(
      new SignatoryError('bad_request', `${question.replace(/:\s*$/, '')}: stdin is not a terminal, so there is nobody to ask`),
    );
  }
  return new Promise((resolve, reject) => {
    const chars: string[] = [];
    const done = (err?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (err) {
        chars.fill('');
        reject(err);
      } else {
        const answer = chars.join('');
        chars.fill('');
        resolve(answer);
      }
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new SignatoryError('bad_request', 'aborted at the prompt'));
        if (ch === '\u007f' || ch === '\b') chars.pop();
        else chars.push(ch);
      }
      data.fill(0);
    };
    input.setRawMode(true); // echo off before the question: a paste right after it is never echoed
    output.write(question);
    input.resume();
    input.on('data', onData);
  });
}

/** All of stdin (a piped secret), with surrounding whitespace trimmed; at most MAX_SECRET_INPUT bytes. */
export async function readStdin(input: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const all = await readStreamBounded(input, 'stdin');
  const text = all.toString('utf8').trim();
  all.fill(0);
  return text;
}
