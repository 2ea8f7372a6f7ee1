/**
 * "Did you mean" for names a user typed: the closest candidate by edit distance, or a known
 * synonym (people write `transfer` for Tezos's `transaction`).
 */

/** Words users write for a Tezos kind that no edit distance would find. */
export const KIND_SYNONYMS: Readonly<Record<string, string>> = {
  transfer: 'transaction',
  send: 'transaction',
  delegate: 'delegation',
  originate: 'origination',
  bake: 'block',
  baking: 'block',
  vote: 'ballot',
  proposal: 'proposals',
  // The double_*_evidence aliases point at names the current protocol merged into one kind.
  double_attestation_evidence: 'double_consensus_operation_evidence',
  double_preattestation_evidence: 'double_consensus_operation_evidence',
};

/** Levenshtein distance (insert, delete, substitute each cost 1). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The candidate the user most likely meant, or undefined when nothing is close. A synonym wins if
 * it is among the candidates; otherwise the nearest name within a third of the word's length
 * (at least 2 edits), ties broken by list order.
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const synonym = KIND_SYNONYMS[lower];
  if (synonym !== undefined && candidates.includes(synonym)) return synonym;
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= limit && best !== word ? best : undefined;
}

/** `(did you mean "x"?)` with a leading space, or '' when there is no good guess. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const s = suggest(word, candidates);
  return s === undefined ? '' : ` (did you mean ${JSON.stringify(s)}?)`;
}
