import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { ConfigIssue, YamlPath } from './config-error';
import { AWSKMS_CONFIG_SCHEMA, CONFIG_SCHEMA, POSTGRES_WATERMARK_CONFIG_SCHEMA } from './schema';
import { didYouMean } from './suggest';

// validateSchema: false skips compiling the JSON Schema meta-schema on every start (~60 ms of a CLI
// run); the schemas are constants, checked against the meta-schema by test/schema-meta.test.ts.
const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true, validateSchema: false });
const validators = new Map<object, ValidateFunction>();

/**
 * Validates `data` against a schema and turns ajv's errors into issues at `base` + the error's
 * path, worded for a person editing YAML. Messages describe types, never values.
 */
export function checkSchema(schema: object, data: unknown, base: YamlPath = []): ConfigIssue[] {
  let validate = validators.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => toIssue(e, data, base));
}

export { AWSKMS_CONFIG_SCHEMA, CONFIG_SCHEMA, POSTGRES_WATERMARK_CONFIG_SCHEMA };

function toIssue(e: ErrorObject, root: unknown, base: YamlPath): ConfigIssue {
  const path = [...base, ...pointerToPath(e.instancePath, root)];
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(p.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const hint = known.length > 0 ? didYouMean(name, known) : '';
      const list = known.length > 0 ? `; expected one of: ${known.join(', ')}` : '';
      return { path: [...path, name], message: `unknown key ${JSON.stringify(name)}${hint || list}` };
    }
    case 'required':
      return { path, message: `missing required key ${JSON.stringify(String(p.missingProperty))}` };
    case 'type':
      return { path, message: `expected ${describeTypes(String(p.type))}, got ${describeValue(e.data)}` };
    case 'minimum':
      return { path, message: `must be at least ${String(p.limit)}` };
    case 'minProperties':
      return { path, message: 'must have at least one entry' };
    case 'minLength':
      return { path, message: 'must not be empty' };
    default:
      return { path, message: e.message ?? `failed ${e.keyword} check` };
  }
}

function pointerToPath(pointer: string, root: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      out.push(Number(seg));
      node = node[Number(seg)];
    } else {
      out.push(seg);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  array: 'a list',
  object: 'a mapping',
  null: 'an empty value',
  boolean: 'true or false',
  integer: 'a whole number',
  number: 'a number',
};

function describeTypes(types: string): string {
  return types
    .split(',')
    .map((t) => TYPE_WORDS[t] ?? t)
    .join(' or ');
}

/** The kind of value found, never the value itself (it may be a secret). */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'boolean') return 'a boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'a whole number' : 'a number';
  if (typeof v === 'string') return 'a string';
  return typeof v;
}
