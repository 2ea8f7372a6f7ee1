/**
 * docs/payloads.md is generated from the codec tables; this regenerates it in memory and fails
 * when the committed file differs, so the doc cannot drift from the decoder.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as core from '@signatory-ts/core';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { renderPayloadDocs } = require('../scripts/payload-docs.js') as { renderPayloadDocs(c: typeof core): string };
const DOC = path.resolve(__dirname, '..', '..', '..', 'docs', 'payloads.md');

describe('docs/payloads.md', () => {
  it('matches what the codec tables generate (run scripts/gen-payload-docs.js after changing them)', () => {
    expect(readFileSync(DOC, 'utf8')).toBe(renderPayloadDocs(core));
  });

  it('lists every operation kind, consensus tag and decode error reason', () => {
    const doc = renderPayloadDocs(core);
    for (const k of core.OPERATION_KINDS) expect(doc).toContain(`\`${k}\``);
    for (const r of core.DECODE_ERROR_REASONS) expect(doc).toContain(`| \`${r}\` |`);
    for (const t of Object.keys(core.CONSENSUS_TAGS)) expect(doc).toMatch(new RegExp(`^\\| ${t} \\|`, 'm'));
  });
});
