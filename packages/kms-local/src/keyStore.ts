import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeySpec, KeyUsage } from './keySpecs';

export type KeyState = 'Enabled' | 'Disabled' | 'PendingImport' | 'PendingDeletion';
export type KeyOrigin = 'AWS_KMS' | 'EXTERNAL';

/** One outstanding GetParametersForImport answer: the token and the RSA wrapping key it pairs with. */
export interface ImportParameters {
  /** base64 of the opaque token bytes */
  token: string;
  /** base64 PKCS#8 DER of the RSA wrapping private key */
  wrappingKeyPkcs8: string;
  wrappingAlgorithm: string;
  wrappingKeySpec: string;
  /** epoch milliseconds */
  validTo: number;
}

/** A key as persisted: one JSON file per key, mode 0600. Times are epoch milliseconds. */
export interface KeyRecord {
  version: 1;
  keyId: string;
  region: string;
  accountId: string;
  keySpec: KeySpec;
  keyUsage: KeyUsage;
  origin: KeyOrigin;
  description: string;
  creationDate: number;
  keyState: KeyState;
  deletionDate?: number;
  pendingWindowInDays?: number;
  /** base64 PKCS#8 DER (asymmetric keys) */
  privateKeyPkcs8?: string;
  /** base64 raw secret (symmetric / HMAC keys) */
  secret?: string;
  keyMaterialId?: string;
  expirationModel?: string;
  importParameters?: ImportParameters[];
  tags?: { TagKey: string; TagValue: string }[];
}

export interface AliasRecord {
  aliasName: string;
  region: string;
  accountId: string;
  targetKeyId: string;
  creationDate: number;
  lastUpdatedDate: number;
}

const KEY_FILE = /^[0-9a-f-]{36}\.json$/;

/**
 * Keys and aliases held in memory and mirrored to a directory: `keys/<keyId>.json` per key and
 * `aliases.json`, each written to a temporary file (0600) then renamed, so a crash never leaves half a file.
 * Writes are serialised, so the file always holds the latest state. One process per directory.
 */
export class KeyStore {
  private readonly keys = new Map<string, KeyRecord>();
  private aliases: AliasRecord[] = [];
  private writes: Promise<void> = Promise.resolve();

  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<KeyStore> {
    const store = new KeyStore(dir);
    await mkdir(join(dir, 'keys'), { recursive: true, mode: 0o700 });
    for (const name of await readdir(join(dir, 'keys'))) {
      if (!KEY_FILE.test(name)) continue;
      const record = JSON.parse(await readFile(join(dir, 'keys', name), 'utf8')) as KeyRecord;
      store.keys.set(record.keyId, record);
    }
    try {
      const parsed = JSON.parse(await readFile(join(dir, 'aliases.json'), 'utf8')) as { aliases: AliasRecord[] };
      store.aliases = parsed.aliases;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return store;
  }

  /** All keys, ordered by key id (the pagination order). */
  listKeys(): KeyRecord[] {
    return [...this.keys.values()].sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
  }

  getKey(keyId: string): KeyRecord | undefined {
    return this.keys.get(keyId);
  }

  async putKey(record: KeyRecord): Promise<void> {
    this.keys.set(record.keyId, record);
    const snapshot = JSON.stringify(record, null, 2);
    await this.write(join('keys', `${record.keyId}.json`), snapshot);
  }

  /** All aliases, ordered by name (the pagination order). */
  listAliases(): AliasRecord[] {
    return [...this.aliases].sort((a, b) => (a.aliasName < b.aliasName ? -1 : a.aliasName > b.aliasName ? 1 : 0));
  }

  async putAlias(alias: AliasRecord): Promise<void> {
    this.aliases = [...this.aliases.filter((a) => !(a.aliasName === alias.aliasName && a.region === alias.region)), alias];
    await this.write('aliases.json', JSON.stringify({ aliases: this.aliases }, null, 2));
  }

  /** Resolves once every write queued so far is on disk. */
  flush(): Promise<void> {
    return this.writes;
  }

  private write(relative: string, content: string): Promise<void> {
    const target = join(this.dir, relative);
    const next = this.writes.then(async () => {
      const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      const handle = await open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(tmp, target);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
    });
    // keep the queue alive after a failed write; the caller still sees the failure
    this.writes = next.catch(() => undefined);
    return next;
  }
}
