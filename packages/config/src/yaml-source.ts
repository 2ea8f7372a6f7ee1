import {
  CORE_SCHEMA,
  EVENT_ID,
  mergeTag,
  SCALAR_STYLE_DOUBLE_QUOTED,
  SCALAR_STYLE_SINGLE_QUOTED,
  YAMLException,
  constructFromEvents,
  getScalarValue,
  parseEvents,
  type Event,
} from 'js-yaml';
import { ConfigError, type Position, type YamlPath } from './config-error';
import { yamlReason } from './yaml-reason';

/** A parsed YAML document plus where each path sits in the text, for error positions. */
export interface YamlSource {
  readonly value: unknown;
  /** Position of the path's key (or list item), else of the nearest ancestor that has one. */
  locate(path: YamlPath): Position | undefined;
}

/**
 * Parses one YAML document with js-yaml (YAML 1.2 core schema with merge keys; duplicate keys
 * are errors; at most 1000 aliases, against alias bombs).
 * A syntax error becomes a ConfigError `file:line:col: invalid YAML: reason` that never quotes the
 * file (no source snippet, no alias or tag name: see yamlReason), since the offending line may
 * hold a secret. An empty file is an empty mapping.
 */
export function parseYaml(text: string, file: string): YamlSource {
  let events: Event[];
  let docs: unknown[];
  try {
    events = parseEvents(text, { filename: file });
    docs = constructFromEvents(events, { source: text, filename: file, schema: SCHEMA, maxAliases: 1000 });
  } catch (e) {
    // Neither js-yaml's message, its snippet nor the error itself (as a cause) is passed on: all
    // of them can quote the file. Only the position and a wording that cannot (yamlReason).
    const at = e instanceof YAMLException && e.mark !== undefined ? `:${e.mark.line + 1}:${e.mark.column + 1}` : '';
    const reason = e instanceof YAMLException ? yamlReason(e.reason) : 'not valid YAML';
    throw new ConfigError(file, [`${file}${at}: invalid YAML: ${reason}`]);
  }
  if (docs.length > 1) {
    throw new ConfigError(file, [`${file}: expected one YAML document, found ${docs.length} (remove the extra ---)`]);
  }
  if (exceeds(docs[0], MAX_VALUES)) {
    throw new ConfigError(file, [`${file}: the document expands to more than ${MAX_VALUES} values (aliases nested inside aliases?)`]);
  }
  const offsets = collectOffsets(text, events);
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const toPosition = (offset: number): Position => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo]! + 1 };
  };
  return {
    value: docs.length === 0 || docs[0] === null || docs[0] === undefined ? {} : docs[0],
    locate(path) {
      for (let n = path.length; n >= 0; n--) {
        const off = offsets.get(key(path.slice(0, n)));
        if (off !== undefined) return toPosition(off);
      }
      return undefined;
    },
  };
}

/**
 * Aliases share one object, so a few lines can stand for an exponential tree ("billion laughs").
 * Every later step walks the expanded tree, so its size is capped first.
 */
export const MAX_VALUES = 100_000;

function exceeds(root: unknown, max: number): boolean {
  let count = 0;
  const stack = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (++count > max) return true;
    if (Array.isArray(v)) stack.push(...v);
    else if (v !== null && typeof v === 'object') stack.push(...Object.values(v));
  }
  return false;
}

/** YAML 1.2 core plus merge keys (`<<: *anchor`), which Go's yaml.v3 also reads. */
const SCHEMA = CORE_SCHEMA.withTags(mergeTag);

const key = (path: YamlPath): string => JSON.stringify(path.map(String));

/** Walks the event stream recording, for each path, the offset of its key or list item. */
function collectOffsets(text: string, events: Event[]): Map<string, number> {
  const offsets = new Map<string, number>();
  // Quoted scalars start at their opening quote, which is where a reader looks.
  const scalarStart = (ev: Event & { type: typeof EVENT_ID.SCALAR }) =>
    ev.valueStart > 0 && (ev.style === SCALAR_STYLE_DOUBLE_QUOTED || ev.style === SCALAR_STYLE_SINGLE_QUOTED)
      ? ev.valueStart - 1
      : ev.valueStart;
  const record = (path: YamlPath, off: number) => {
    const k = key(path);
    if (off >= 0 && !offsets.has(k)) offsets.set(k, off);
  };
  const walk = (i: number, path: YamlPath | null): number => {
    const ev = events[i];
    if (ev === undefined) return i;
    switch (ev.type) {
      case EVENT_ID.SCALAR:
        if (path) record(path, scalarStart(ev));
        return i + 1;
      case EVENT_ID.ALIAS:
        if (path) record(path, ev.anchorStart);
        return i + 1;
      case EVENT_ID.SEQUENCE: {
        if (path) record(path, ev.start);
        let j = i + 1;
        for (let n = 0; events[j] !== undefined && events[j]!.type !== EVENT_ID.POP; n++) {
          j = walk(j, path ? [...path, n] : null);
        }
        return j + 1;
      }
      case EVENT_ID.MAPPING: {
        if (path) record(path, ev.start);
        let j = i + 1;
        while (events[j] !== undefined && events[j]!.type !== EVENT_ID.POP) {
          const k = events[j]!;
          let child: YamlPath | null = null;
          if (k.type === EVENT_ID.SCALAR && path) {
            child = [...path, getScalarValue(text, k)];
            record(child, scalarStart(k));
          }
          j = walk(j, null);
          j = walk(j, child);
        }
        return j + 1;
      }
      default:
        return i + 1;
    }
  };
  let i = 0;
  while (i < events.length) {
    if (events[i]!.type === EVENT_ID.DOCUMENT) i = walk(i + 1, []);
    else i++;
  }
  return offsets;
}
