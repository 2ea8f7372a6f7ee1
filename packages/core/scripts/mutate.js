'use strict';
/**
 * Mutation engine shared by the property test (test/property.test.ts) and the long fuzz run
 * (scripts/fuzz.js): seeded PRNG, mutations of valid requests, and the invariant each decode
 * must satisfy. Plain CommonJS so both can load it without a build.
 */

/** mulberry32 */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAGICS = [0x01, 0x02, 0x03, 0x04, 0x05, 0x11, 0x12, 0x13, 0x00, 0xff];
const HUGE = [
  [0xff, 0xff, 0xff, 0xff],
  [0x7f, 0xff, 0xff, 0xff],
  [0x40, 0x00, 0x00, 0x00],
  [0x3f, 0xff, 0xff, 0xff],
  [0x00, 0x01, 0x00, 0x00],
];

/** Returns a mutated copy of `seed` (a Uint8Array). */
function mutate(rand, seed) {
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const b = Uint8Array.from(seed);
  switch (int(0, 8)) {
    case 0: // truncate
      return b.subarray(0, int(0, Math.max(0, b.length - 1)));
    case 1: {
      // flip 1..4 bits
      for (let i = int(1, 4); i > 0 && b.length > 0; i--) b[int(0, b.length - 1)] ^= 1 << int(0, 7);
      return b;
    }
    case 2: {
      // extend with random bytes
      const extra = Uint8Array.from({ length: int(1, 40) }, () => int(0, 255));
      const out = new Uint8Array(b.length + extra.length);
      out.set(b);
      out.set(extra, b.length);
      return out;
    }
    case 3: {
      // a 4-byte window set to a huge length
      if (b.length >= 5) b.set(HUGE[int(0, HUGE.length - 1)], int(1, b.length - 4));
      return b;
    }
    case 4: {
      // a random byte (often a tag) replaced
      if (b.length > 0) b[int(0, b.length - 1)] = int(0, 255);
      return b;
    }
    case 5: {
      // random bytes behind a real magic byte
      const out = Uint8Array.from({ length: int(0, 200) }, () => int(0, 255));
      if (out.length > 0) out[0] = MAGICS[int(0, MAGICS.length - 1)];
      return out;
    }
    case 6: {
      // delete a slice from the middle
      if (b.length < 3) return b;
      const s = int(1, b.length - 2);
      const e = int(s, Math.min(b.length - 1, s + 8));
      const out = new Uint8Array(b.length - (e - s));
      out.set(b.subarray(0, s));
      out.set(b.subarray(e), s);
      return out;
    }
    case 7: {
      // duplicate a slice (repeats an operation or a field)
      if (b.length < 34) return b;
      const s = int(33, b.length - 1);
      const e = int(s, b.length);
      const out = new Uint8Array(b.length + (e - s));
      out.set(b.subarray(0, e));
      out.set(b.subarray(s), e);
      return out;
    }
    default: {
      // several mutations at once
      let x = b;
      for (let i = int(2, 4); i > 0; i--) x = mutate(rand, x);
      return x;
    }
  }
}

/**
 * The invariant: parseSignRequest either returns a JSON-serialisable request that consumed every
 * byte (one more byte breaks it), or throws a DecodeError; readWatermarkFields agrees with it.
 * Returns { problem } describing a violation, else { outcome: 'decoded' | <DecodeError reason> }.
 */
function check(core, bytes) {
  const problem = checkOne(core, bytes);
  return typeof problem === 'object' ? problem : { problem };
}

function checkOne(core, bytes) {
  let req;
  try {
    req = core.parseSignRequest(bytes);
  } catch (e) {
    if (!(e instanceof core.DecodeError)) return `non-DecodeError thrown: ${e && e.stack}`;
    if (!(e.offset >= 0 && e.offset <= bytes.length)) return `offset ${e.offset} outside the input (${bytes.length} bytes)`;
    if ([0x11, 0x12, 0x13].includes(bytes[0])) {
      try {
        core.readWatermarkFields(bytes);
        return 'fast path accepted what the full decoder refused';
      } catch (f) {
        if (!(f instanceof core.DecodeError)) return `fast path threw a non-DecodeError: ${f && f.stack}`;
        if (f.reason !== e.reason) return `fast path reason ${f.reason}, full decoder ${e.reason}`;
      }
    }
    return { outcome: e.reason };
  }
  JSON.stringify(req);
  if (req.kind !== 'legacy_block') {
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    try {
      // a request whose last field is open-ended can absorb a byte only if that makes another
      // valid value; the decode must then differ
      if (JSON.stringify(core.parseSignRequest(longer)) === JSON.stringify(req)) return 'decode ignored a trailing byte';
    } catch (e) {
      if (!(e instanceof core.DecodeError)) return `non-DecodeError on extended input: ${e && e.stack}`;
    }
  }
  if ([0x11, 0x12, 0x13].includes(bytes[0])) {
    const fast = core.readWatermarkFields(bytes);
    if (!fast || fast.level !== req.level || fast.round !== req.round || fast.kind !== req.kind)
      return 'fast path disagrees with the full decoder';
  }
  return { outcome: 'decoded' };
}

module.exports = { prng, mutate, check };
