import { findDuplicateKey } from '../src/duplicate-keys';

// The scan behind refusing a watermark file with a key written twice (JSON.parse keeps the last).

it.each([
  ['{}', undefined],
  ['[]', undefined],
  ['{"a": 1, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]}', undefined],
  ['{"a": "\\"a\\": {\\"b\\"", "b": "}{,[", "c": "\\\\"}', undefined],
  ['{"a": 1, "a": 2}', { key: 'a', where: '' }],
  ['{"a": 1, "\\u0061": 2}', { key: 'a', where: '' }],
  ['{"x": {"y": {"a": 1, "b": 2, "a": 3}}}', { key: 'a', where: 'x.y' }],
  ['{"x": [1, {"a": [], "a": {}}]}', { key: 'a', where: 'x[]' }],
  ['{"\\\\": 1, "\\\\": 2}', { key: '\\', where: '' }],
  ['{"a\\"": 1, "a\\"": 2}', { key: 'a"', where: '' }],
  ['{"x": {"a": 1}, "y": {"a": 1}, "x": 3}', { key: 'x', where: '' }],
])('%s', (text, expected) => {
  JSON.parse(text); // the scan is for valid JSON
  expect(findDuplicateKey(text)).toEqual(expected);
});
