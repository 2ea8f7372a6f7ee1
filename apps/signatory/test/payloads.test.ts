import { parseSignRequest, fromHex, policyKind } from '@signatory-ts/core';
import { block, consensus, C2, TRANSACTION } from './payloads';

describe('test payload builders', () => {
  it('build requests the codec reads back at the asked level and round', () => {
    const b = parseSignRequest(fromHex(block(7, 2)));
    expect(JSON.parse(JSON.stringify(b))).toMatchObject({ kind: 'block', level: 7, round: 2, chainId: 'NetXo5iVw1vBoxM' });
    expect(parseSignRequest(fromHex(consensus('preattestation', 34, 4)))).toMatchObject({ kind: 'preattestation', level: 34, round: 4 });
    expect(parseSignRequest(fromHex(consensus('attestation', 34, 4)))).toMatchObject({ kind: 'attestation', level: 34, round: 4 });
    expect(parseSignRequest(fromHex(C2))).toMatchObject({ kind: 'preattestation', level: 34, round: 4 });
    const g = parseSignRequest(fromHex(TRANSACTION));
    expect(g.kind === 'generic' && g.operations.map(policyKind)).toEqual(['transaction']);
  });
});
