/**
 * What a js-yaml error may say about the file. Some of its reasons quote the file: an alias name
 * (`unidentified alias "…"`), a tag or tag handle (`unknown scalar tag !<…>`), a %TAG prefix. An
 * unquoted secret starting with `*`, `!` or `&` becomes such a name, so those reasons are replaced
 * by fixed wordings, and only reasons known to be fixed text are passed on as they are. A reason
 * this list does not know (a newer js-yaml) becomes a generic description: the position still
 * says where to look.
 */
export function yamlReason(reason: string): string {
  if (FIXED_REASONS.has(reason)) return reason;
  for (const [pattern, wording] of QUOTING_REASONS) if (pattern.test(reason)) return wording;
  return 'not valid YAML here';
}

const QUOTE_IT = 'if the value is a string that starts with this character, put it in quotes';

/** Reasons that embed text from the file, by their fixed start, and what is said instead. */
const QUOTING_REASONS: readonly [RegExp, string][] = [
  [/^unidentified alias /, `a "*" starts an alias to an anchor ("&name") that is not defined above it; ${QUOTE_IT}`],
  [/^recursive alias /, 'an alias ("*name") refers to the node it is inside'],
  [
    /^(unknown (scalar|sequence|mapping) tag |tag name cannot contain such characters|undeclared tag handle )/,
    `a "!" starts a tag that is not supported here (only the standard !!str, !!int, !!float, !!bool, !!null, !!seq, !!map); ${QUOTE_IT}`,
  ],
  [/^there is a previously declared suffix for /, 'a %TAG directive declares a tag handle that is already declared'],
  [/^cannot resolve a node with !<[^>]*> explicit tag$/, 'the value does not fit its explicit tag (!!int, !!bool, ...)'],
  [
    /^(aliases exceeded maxAliases|merge keys exceeded maxTotalMergeKeys|nesting exceeded maxDepth) \(\d+\)$/,
    'the document uses too many aliases, merge keys or nesting levels',
  ],
];

/** js-yaml reasons that are fixed text (they never carry anything read from the file). */
const FIXED_REASONS: ReadonlySet<string> = new Set([
  'TAG directive accepts exactly two arguments',
  'YAML directive accepts exactly one argument',
  'a line break is expected',
  'a whitespace character is expected after the key-value separator within a block mapping',
  'abnormal merge sequence size',
  'alias node should not have any properties',
  'bad explicit indentation width of a block scalar; it cannot be less than one',
  'bad indentation of a mapping entry',
  'bad indentation of a sequence entry',
  'can not read a block mapping entry; a multiline key may not be an implicit key',
  'can not read a document',
  'cannot merge mappings; the provided source object is unacceptable',
  'deficient indentation',
  'directive name must not be less than one character in length',
  'directives end mark is expected',
  'duplicated mapping key',
  'duplication of %YAML directive',
  'duplication of a tag property',
  'duplication of an anchor property',
  'end of the stream or a document separator is expected',
  "expected ':' after a mapping key",
  'expected hexadecimal character',
  "expected the node content, but found ','",
  'expected valid JSON character',
  'ill-formed argument of the YAML directive',
  'ill-formed tag handle (first argument) of the TAG directive',
  'ill-formed tag prefix (second argument) of the TAG directive',
  'incomplete mapping pair in event stream',
  'missed comma between flow collection entries',
  'name of an alias node must contain at least one character',
  'name of an anchor node must contain at least one character',
  'named tag handle cannot contain such characters',
  'nested arrays are not supported inside keys',
  'object-based map does not support complex keys',
  'repeat of a chomping mode identifier',
  'repeat of an indentation width identifier',
  'tab characters must not be used in indentation',
  'tag suffix cannot contain exclamation marks',
  'tag suffix cannot contain flow indicator characters',
  'the stream contains non-printable characters',
  'unacceptable YAML version of the document',
  'unexpected end of the document within a double quoted scalar',
  'unexpected end of the document within a single quoted scalar',
  'unexpected end of the stream within a double quoted scalar',
  'unexpected end of the stream within a flow collection',
  'unexpected end of the stream within a single quoted scalar',
  'unexpected end of the stream within a verbatim tag',
  'unknown escape sequence',
]);
