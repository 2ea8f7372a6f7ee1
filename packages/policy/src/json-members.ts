/** One member of a JSON object: its decoded key and its value's text exactly as sent. */
export interface JsonMember {
  readonly key: string;
  readonly raw: string;
}

/**
 * The members of the JSON object `text`, in order, each value kept as its raw text. The policy
 * hook's reply is signed over the exact bytes of its `payload` value, so the value cannot be
 * re-serialised; and Go's decoder matches keys case-insensitively with the last one winning, which
 * a parsed object cannot tell (`{"status":1,"Status":2}` is two keys there). `text` must already
 * have passed JSON.parse: this only finds boundaries. Throws when `text` is not an object.
 */
export function jsonMembers(text: string): JsonMember[] {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') throw new SyntaxError(`expected a JSON object, got ${describe(text, i)}`);
  i = skipSpace(text, i + 1);
  const out: JsonMember[] = [];
  if (text[i] === '}') return out;
  for (;;) {
    const keyEnd = endOfString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    i = skipSpace(text, i + 1); // the ':'
    const end = endOfValue(text, i);
    out.push({ key, raw: text.slice(i, end) });
    i = skipSpace(text, end);
    if (text[i] === '}') return out;
    i = skipSpace(text, i + 1); // the ','
  }
}

/** The last member whose key equals `name` ignoring case (Go's encoding/json rule). */
export function member(members: readonly JsonMember[], name: string): JsonMember | undefined {
  const lower = name.toLowerCase();
  for (let k = members.length - 1; k >= 0; k--) if (members[k]!.key.toLowerCase() === lower) return members[k];
  return undefined;
}

const describe = (text: string, i: number): string => (i >= text.length ? 'nothing' : `\`${text[i]}'`);

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}

/** `i` at an opening quote; the index after the closing one. */
function endOfString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** The index after the value starting at `i` (string, object, array, number or literal). */
function endOfValue(text: string, i: number): number {
  if (text[i] === '"') return endOfString(text, i);
  if (text[i] === '{' || text[i] === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (c === '"') j = endOfString(text, j) - 1;
      else if (c === '{' || c === '[') depth++;
      else if ((c === '}' || c === ']') && --depth === 0) return j + 1;
    }
    throw new SyntaxError('unterminated object or array');
  }
  let j = i;
  while (j < text.length && !',}] \t\n\r'.includes(text[j]!)) j++;
  return j;
}
