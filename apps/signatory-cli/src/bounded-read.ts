import { open } from 'node:fs/promises';
import { SignatoryError } from '@signatory-ts/core';

/**
 * The most `import` reads from a file or stdin. A secret key, a PEM private key or a password is a
 * few hundred bytes at most; the bound is generous, and keeps a wrong file (or /dev/zero) from
 * being read for ever.
 */
export const MAX_SECRET_INPUT = 64 * 1024;

function tooLong(what: string): SignatoryError {
  return new SignatoryError(
    'bad_request',
    `${what}: more than ${MAX_SECRET_INPUT / 1024} KiB (the limit: a secret key, PEM key or password is a few hundred bytes at most); give the key alone`,
  );
}

/**
 * A file's content, at most MAX_SECRET_INPUT bytes: reading stops one byte past the bound, so a
 * device or a huge file is refused quickly. `what` names the source in errors (`-f key.pem`).
 */
export async function readFileBounded(path: string, what: string): Promise<Buffer> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (e) {
    throw new SignatoryError('bad_request', `${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const buf = Buffer.alloc(MAX_SECRET_INPUT + 1);
  let length = 0;
  try {
    for (;;) {
      const { bytesRead } = await file.read(buf, length, buf.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_SECRET_INPUT) {
        buf.fill(0);
        throw tooLong(what);
      }
    }
  } catch (e) {
    buf.fill(0);
    if (e instanceof SignatoryError) throw e;
    throw new SignatoryError('bad_request', `${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    await file.close();
  }
  const out = Buffer.from(buf.subarray(0, length));
  buf.fill(0);
  return out;
}

/** A stream's content (piped stdin), at most MAX_SECRET_INPUT bytes; the stream is destroyed past it. */
export async function readStreamBounded(input: NodeJS.ReadableStream, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const c of input) {
      const chunk = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
      chunks.push(chunk);
      length += chunk.length;
      if (length > MAX_SECRET_INPUT) throw tooLong(what); // leaving the loop destroys the stream
    }
    return Buffer.concat(chunks);
  } finally {
    chunks.forEach((c) => c.fill(0));
  }
}
