import { editDistance, suggest } from '@signatory-ts/config';
import { OPERATION_KINDS, REQUEST_KINDS } from '@signatory-ts/core';

test('edit distance counts inserts, deletes and substitutions', () => {
  expect(editDistance('', '')).toBe(0);
  expect(editDistance('block', 'block')).toBe(0);
  expect(editDistance('blok', 'block')).toBe(1);
  expect(editDistance('kitten', 'sitting')).toBe(3);
  expect(editDistance('abc', '')).toBe(3);
});

test.each([
  ['transfer', OPERATION_KINDS, 'transaction'],
  ['delegate', OPERATION_KINDS, 'delegation'],
  ['reveel', OPERATION_KINDS, 'reveal'],
  ['Block', REQUEST_KINDS, 'block'],
  ['attestation_with_dall', REQUEST_KINDS, 'attestation_with_dal'],
  ['something', REQUEST_KINDS, undefined],
  ['block', REQUEST_KINDS, undefined],
] as const)('suggest(%s) is %s', (word, list, expected) => {
  expect(suggest(word, list as readonly string[])).toBe(expected);
});
