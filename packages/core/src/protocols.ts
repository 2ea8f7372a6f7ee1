import { KEY_TAGS, type KeyTag } from './curves';
import { TALLINN_DAL_ENTRAPMENT_EVIDENCE, USHUAIA_OPERATIONS, type OperationKind, type OperationSpec } from './operation-table';

/**
 * The protocol registry: one row per protocol the codec decodes with. A row names the protocol,
 * the prefix of its hash, the key-type tags it knows (from tag 0 on, as pkh prefixes) and how its
 * operation table differs from the one of the protocol it is `from`. Everything protocol-keyed
 * (tables, tag lookups, key-tag checks and their error texts, docs) is derived from these rows.
 */
export interface OperationDiff {
  /** Rows for tags the base protocol does not have. */
  readonly add?: readonly OperationSpec[];
  /** Rows that replace the base protocol's row of the same tag. */
  readonly replace?: readonly OperationSpec[];
  /** Tags the base protocol has and this one does not. */
  readonly remove?: readonly number[];
}

export interface ProtocolDefinition {
  readonly name: string;
  /** First characters of the protocol hash (as Taquito's `ProtocolsHash` names them). */
  readonly hashPrefix: string;
  /** pkh prefixes of the key-type tags this protocol knows, tag 0 first (a prefix of KEY_TAGS). */
  readonly keyTags: readonly string[];
  /** The operation table as a diff on `from`'s (on an empty table when there is no `from`). */
  readonly operations: OperationDiff;
}

/** A protocol ready to decode with: its definition resolved to full tables. */
export interface ProtocolTables {
  readonly name: string;
  readonly hashPrefix: string;
  /** Key types by binary tag. */
  readonly keyTags: readonly KeyTag[];
  /** Every operation row, by ascending tag. */
  readonly operations: readonly OperationSpec[];
  /** Tag -> row (256 entries). */
  readonly byTag: readonly (OperationSpec | undefined)[];
}

/**
 * Resolves a protocol row against its base. Throws (a programming error, at load time) when the diff
 * adds a tag the base has, replaces or removes one it does not, or the key tags are not KEY_TAGS' first ones.
 */
export function defineProtocol(def: ProtocolDefinition, from?: ProtocolTables): ProtocolTables {
  const fail = (what: string): never => {
    throw new Error(`protocol ${def.name}: ${what}`);
  };
  const byTag: (OperationSpec | undefined)[] = from ? [...from.byTag] : new Array<OperationSpec | undefined>(256).fill(undefined);
  for (const s of def.operations.add ?? []) {
    if (byTag[s.tag] !== undefined) fail(`adds tag ${s.tag}, which ${from?.name} already has (replace it instead)`);
    byTag[s.tag] = s;
  }
  for (const s of def.operations.replace ?? []) {
    if (byTag[s.tag] === undefined) fail(`replaces tag ${s.tag}, which ${from?.name ?? 'an empty table'} does not have`);
    byTag[s.tag] = s;
  }
  for (const tag of def.operations.remove ?? []) {
    if (byTag[tag] === undefined) fail(`removes tag ${tag}, which ${from?.name ?? 'an empty table'} does not have`);
    byTag[tag] = undefined;
  }
  const keyTags = KEY_TAGS.slice(0, def.keyTags.length);
  if (keyTags.some((k, i) => k.pkh !== def.keyTags[i])) {
    fail(`key tags must be the first of ${KEY_TAGS.map((k) => k.pkh).join(', ')} in order, got ${def.keyTags.join(', ')}`);
  }
  return {
    name: def.name,
    hashPrefix: def.hashPrefix,
    keyTags,
    operations: byTag.filter((s): s is OperationSpec => s !== undefined),
    byTag,
  };
}

const ushuaia = defineProtocol({
  name: 'ushuaia',
  hashPrefix: 'PsUshuai9',
  keyTags: ['tz1', 'tz2', 'tz3', 'tz4', 'tz5'],
  operations: { add: USHUAIA_OPERATIONS },
});

/** Protocols by name. Ushuaia (025) is current; Tallinn (024) is its predecessor. */
export const PROTOCOL_REGISTRY = {
  ushuaia,
  tallinn: defineProtocol(
    {
      name: 'tallinn',
      hashPrefix: 'PtTALLiNt',
      keyTags: ['tz1', 'tz2', 'tz3', 'tz4'],
      operations: { replace: [TALLINN_DAL_ENTRAPMENT_EVIDENCE] },
    },
    ushuaia,
  ),
} as const;

/** Which protocol's tables to decode with. */
export type Protocol = keyof typeof PROTOCOL_REGISTRY;
/** The protocol decoded with when none is named (the one mainnet runs). */
export const CURRENT_PROTOCOL: Protocol = 'ushuaia';
/** Every protocol name, current first. */
export const PROTOCOLS: readonly Protocol[] = [
  CURRENT_PROTOCOL,
  ...(Object.keys(PROTOCOL_REGISTRY) as Protocol[]).filter((p) => p !== CURRENT_PROTOCOL),
];

function byProtocol<T>(f: (p: ProtocolTables) => T): Readonly<Record<Protocol, T>> {
  return Object.fromEntries(PROTOCOLS.map((p) => [p, f(PROTOCOL_REGISTRY[p])])) as Record<Protocol, T>;
}

/** Each protocol's operation rows. */
export const OPERATION_TABLES = byProtocol((p) => p.operations);
/** Tag -> row lookup arrays, one per protocol. */
export const OPERATIONS_BY_TAG = byProtocol((p) => p.byTag);

/** Operation kinds that may appear in a generic (0x03) request under the current protocol, sorted. */
export const OPERATION_KINDS = [
  ...new Set(PROTOCOL_REGISTRY[CURRENT_PROTOCOL].operations.map((s) => s.kind)),
].sort() as readonly OperationKind[];

/**
 * The tables of a protocol given by name, or already resolved (a protocol defined outside the
 * registry). A name the registry does not have is a TypeError listing the ones it has.
 */
export function protocolTables(protocol: Protocol | ProtocolTables = CURRENT_PROTOCOL): ProtocolTables {
  if (typeof protocol !== 'string') return protocol;
  if (!Object.hasOwn(PROTOCOL_REGISTRY, protocol)) {
    throw new TypeError(`unknown protocol ${JSON.stringify(protocol)}: one of ${PROTOCOLS.join(', ')}`);
  }
  return PROTOCOL_REGISTRY[protocol];
}
