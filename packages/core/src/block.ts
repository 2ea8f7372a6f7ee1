import { B58 } from './b58';
import { readNonNegative } from './consensus';
import type { Reader } from './reader';

/**
 * The Tenderbake block header as a baker signs it (0x11 ‖ chain_id ‖ header): the shell header, then
 * the protocol data without signature. The watermark round is the last fitness element, not
 * payload_round (a reproposal at round r can carry an earlier round's payload).
 */
export interface BlockFitness {
  version: number;
  level: number;
  /** Round at which the baker saw a preattestation quorum; null when none. */
  lockedRound: number | null;
  predecessorRound: number;
  round: number;
}

export interface BlockHeader {
  level: number;
  proto: number;
  predecessor: B58;
  /** RFC 3339 UTC, as Octez prints it; decimal seconds when outside the Date range. */
  timestamp: string;
  validationPass: number;
  operationsHash: B58;
  fitness: BlockFitness;
  /** Block round (last fitness element). */
  round: number;
  context: B58;
  payloadHash: B58;
  payloadRound: number;
  proofOfWorkNonce: string;
  seedNonceHash?: B58;
  /** Raw per-block-votes byte (Tallinn+: the liquidity-baking vote only). */
  perBlockVotes: number;
  liquidityBakingVote: 'on' | 'off' | 'pass';
}

/** Per-block-votes byte, Tallinn and later: 0 on, 1 off, 2 pass. (Oxford..Seoul also packed an AI vote.) */
export const LIQUIDITY_BAKING_VOTES = ['on', 'off', 'pass'] as const;

function timestampText(seconds: string): string {
  const s = Number(seconds);
  if (Math.abs(s) > 8.64e12) return seconds;
  return new Date(s * 1000).toISOString().replace('.000Z', 'Z');
}

/** Reads the Tenderbake fitness region and checks it against the shell level. */
function readFitness(r: Reader, shellLevel: number): BlockFitness {
  const at = r.pos;
  const n = r.length('fitness');
  const end = r.pos + n;
  const bad = (why: string, where = at): never =>
    r.fail('bad_fitness', 'a Tenderbake fitness: [02][level][locked_round?][-pred_round-1][round]', why, where);
  // element lengths must be 1, 4, 0|4, 4, 4 and fill the region exactly
  if (n !== 33 && n !== 37) bad(`fitness is ${n} bytes, expected 33 or 37`);
  const lens: number[] = [];
  let p = r.pos;
  for (let i = 0; i < 5; i++) {
    if (end - p < 4) bad(`${i} element(s), expected 5`);
    const b = r.bytes;
    const len = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
    lens.push(len);
    p += 4 + len;
    if (p > end) bad(`element ${i + 1} overruns the fitness`);
  }
  if (p !== end) bad('more than 5 elements');
  if (lens[0] !== 1 || lens[1] !== 4 || (lens[2] !== 0 && lens[2] !== 4) || lens[3] !== 4 || lens[4] !== 4) {
    bad(`element lengths ${lens.join('/')}, expected 1/4/(0|4)/4/4`);
  }
  r.pos += 4;
  const version = r.u8('fitness version');
  if (version !== 2) bad(`version ${version}`, r.pos - 1);
  r.pos += 4;
  const level = r.i32('fitness level');
  if (level !== shellLevel) bad(`fitness level ${level} differs from the shell level ${shellLevel}`, r.pos - 4);
  const locked = r.u32('locked round length') === 4 ? r.i32('locked round') : null;
  r.pos += 4;
  const predecessorRound = -r.i32('predecessor round') - 1;
  r.pos += 4;
  const roundAt = r.pos;
  const round = r.i32('round');
  if (round < 0) bad(`negative round ${round}`, roundAt);
  if (predecessorRound < 0) bad(`negative predecessor round ${predecessorRound}`);
  if (locked !== null && (locked < 0 || locked >= round)) bad(`locked round ${locked} not below round ${round}`);
  return { version, level, lockedRound: locked, predecessorRound, round };
}

/**
 * Reads an unsigned Tenderbake block header (shell + protocol data, no signature). With
 * `encode = false` it validates the same way but leaves timestamp and nonce text empty (hot path).
 */
export function readBlockHeader(r: Reader, encode = true): BlockHeader {
  const h = (prefix: 'B' | 'LLo' | 'Co' | 'vh', what: string): B58 => new B58(prefix, r.fixed(32, what));
  const level = readNonNegative(r, 'level');
  const proto = r.u8('proto');
  const predecessor = h('B', 'predecessor');
  const ts = r.i64('timestamp');
  const timestamp = encode ? timestampText(ts) : '';
  const validationPass = r.u8('validation pass');
  const operationsHash = h('LLo', 'operations hash');
  const fitness = readFitness(r, level);
  const context = h('Co', 'context');
  const payloadHash = h('vh', 'payload hash');
  const prAt = r.pos;
  const payloadRound = r.i32('payload round');
  if (payloadRound < 0 || payloadRound > fitness.round) {
    r.fail('bad_fitness', `payload round between 0 and the block round ${fitness.round}`, `got ${payloadRound}`, prAt);
  }
  const pow = r.fixed(8, 'proof of work nonce');
  const proofOfWorkNonce = encode ? Buffer.from(pow).toString('hex') : '';
  const header: BlockHeader = {
    level,
    proto,
    predecessor,
    timestamp,
    validationPass,
    operationsHash,
    fitness,
    round: fitness.round,
    context,
    payloadHash,
    payloadRound,
    proofOfWorkNonce,
    perBlockVotes: 0,
    liquidityBakingVote: 'on',
  };
  if (r.present('seed nonce hash')) {
    header.seedNonceHash = new B58('nce', r.fixed(32, 'seed nonce hash'));
  }
  const vAt = r.pos;
  const votes = r.u8('per-block votes');
  const vote = LIQUIDITY_BAKING_VOTES[votes];
  if (vote === undefined) r.fail('bad_votes', 'per-block votes byte 0 (on), 1 (off) or 2 (pass)', `got ${votes}`, vAt);
  header.perBlockVotes = votes;
  header.liquidityBakingVote = vote;
  return header;
}
