/**
 * JSON.parse keeps the LAST of two equal keys in an object, and its reviver never sees the first.
 * For a watermark file that is a way down: `{"level": 999, "level": 1}` would read as 1. This scan
 * finds such keys, at any depth, so the file can be refused as corrupt instead.
 */

interface Frame {
  /** The keys seen so far; undefined in an array. */
  readonly keys: Set<string> | undefined;
  /** Where this object is, for the message (`tz1….attestation`). */
  readonly where: string;
  /** The next string in this object is a key (after `{` or `,`). */
  expectKey: boolean;
  /** The last key read (where a nested value is). */
  key: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The first key that appears twice in one object of `text`, with the path of that object, or
 * undefined. `text` must be valid JSON (parse it first): only strings and brackets are looked at.
 * Keys are compared decoded, so `"a"` and `"\u0061"` are the same key.
 */
export function findDuplicateKey(text: string): { key: string; where: string } | undefined {
  const stack: Frame[] = [];
  let top: Frame | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = i + 1;
      for (;;) {
        end = text.indexOf('"', end);
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
        if (slashes % 2 === 0) break;
        end++;
      }
      if (top?.keys !== undefined && top.expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (top.keys.has(key)) return { key, where: top.where };
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const where =
        top === undefined ? '' : top.keys === undefined ? `${top.where}[]` : top.where === '' ? top.key : `${top.where}.${top.key}`;
      if (top !== undefined) stack.push(top);
      top = { keys: c === 0x7b ? new Set() : undefined, where, expectKey: true, key: '' };
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      top = stack.pop();
    } else if (c === 0x2c /* , */ && top !== undefined) {
      top.expectKey = true;
    }
  }
  return undefined;
}
