/**
 * Differential test against @taquito/local-forging: every vector in vectors/taquito-operations.json
 * (forged by Taquito, see scripts/gen-vectors.js) decodes to the same fields Taquito's parse gives,
 * both as stored in the file and as Taquito parses the bytes live.
 */
import { LocalForger, ProtocolsHash } from '@taquito/local-forging';
import { fromHex, parseSignRequest, policyKind, type ConsensusRequest, type GenericRequest } from '@signatory-ts/core';
import vectorFile from './vectors/taquito-operations.json';

interface Vector {
  name: string;
  hex: string;
  taquito: { branch: string; contents: Record<string, unknown>[] };
}
const vectors = (vectorFile as { vectors: Vector[] }).vectors;
const forger = new LocalForger(ProtocolsHash.PsUshuai9);

/** JSON form: B58 values become their base58 text, as in `JSON.stringify(request)`. */
const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** Our consensus request in Taquito's operation shape. */
function asTaquitoContent(req: ConsensusRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {
    kind: req.kind,
    slot: req.slot,
    level: req.level,
    round: req.round,
    block_payload_hash: req.blockPayloadHash,
  };
  if (req.dalAttestation !== undefined) out.dal_attestation = req.dalAttestation;
  return out;
}

describe('decoding Taquito-forged requests', () => {
  it('has at least 200 vectors covering every kind the generator forges', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(200);
    const kinds = new Set(vectors.flatMap((v) => v.taquito.contents.map((c) => c.kind)));
    expect(kinds.size).toBeGreaterThanOrEqual(22);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s decodes to the fields Taquito parses', async (_name, v) => {
    const bytes = fromHex(v.hex);
    const req = parseSignRequest(bytes);
    const live = await forger.parse(v.hex.slice(v.hex.startsWith('13') ? 10 : 2));
    expect(live).toEqual(v.taquito);
    if (req.kind === 'generic') {
      expect(String(req.branch)).toBe(v.taquito.branch);
      expect(json(req.operations)).toEqual(v.taquito.contents);
    } else {
      const c = req as ConsensusRequest;
      expect(c.magic).toBe(0x13);
      expect(String(c.branch)).toBe(v.taquito.branch);
      expect(json([asTaquitoContent(c)])).toEqual(v.taquito.contents);
    }
  });

  it('classifies staking transactions to the source itself as pseudo-operations', () => {
    let seen = 0;
    for (const v of vectors) {
      const req = parseSignRequest(fromHex(v.hex));
      if (req.kind !== 'generic') continue;
      for (const op of (req as GenericRequest).operations) {
        const params = op.parameters as { entrypoint: string } | undefined;
        const pseudo =
          op.kind === 'transaction' &&
          String(op.destination) === String(op.source) &&
          ['stake', 'unstake', 'finalize_unstake', 'set_delegate_parameters'].includes(params?.entrypoint ?? '');
        if (pseudo) seen++;
        expect(policyKind(op)).toBe(pseudo ? params!.entrypoint : op.kind === 'ballot' ? `ballot:${String(op.ballot)}` : op.kind);
      }
    }
    expect(seen).toBeGreaterThan(10);
  });
});
