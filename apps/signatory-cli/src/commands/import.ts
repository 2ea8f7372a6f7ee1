import { isSignatoryError, SignatoryError } from '@signatory-ts/core';
import { createKmsClient, importKey } from '@signatory-ts/vault-awskms';
import { readFileBounded } from '../bounded-read';
import { loadContext, vaultConfig, type Context, type GlobalOptions } from '../context';
import { line } from '../key-record';
import type { Out } from '../output';
import { promptHidden, readStdin } from '../prompt';
import { KEY_MANAGEMENT_CLIENT, openVault } from '../vaults';
import { secretFromPem, secretFromText, type SecretMaterial } from '../secret-input';

export interface ImportOptions extends GlobalOptions {
  vault: string;
  /** `-f`: PKCS#8 PEM file. */
  from?: string;
  passwordFile?: string;
  /** `-o key:val[,key:val]`, repeatable; `name` is the KMS alias. */
  opt?: string[];
  alias?: string;
  /** Import even when the vault already holds a usable key with the same address. */
  allowDuplicate?: boolean;
}

export interface ImportIo {
  stdin: NodeJS.ReadStream;
  stdout: Out;
  env: NodeJS.ProcessEnv;
}

/** `-o name:foo,other:bar` -> {name: 'foo', other: 'bar'}; only `name` is known. */
function vaultOptions(opts: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of opts.flatMap((o) => o.split(','))) {
    const i = pair.indexOf(':');
    if (i <= 0) throw new SignatoryError('bad_request', `-o ${JSON.stringify(pair)}: expected key:value, e.g. name:my-baker`);
    const key = pair.slice(0, i);
    if (key !== 'name') throw new SignatoryError('bad_request', `-o ${key}: unknown option for the awskms vault (known: name)`);
    out[key] = pair.slice(i + 1);
  }
  return out;
}

async function password(opts: ImportOptions, io: ImportIo): Promise<string> {
  if (opts.passwordFile !== undefined) {
    const bytes = await readFileBounded(opts.passwordFile, `--password-file ${opts.passwordFile}`);
    const text = bytes.toString('utf8');
    bytes.fill(0);
    return text.replace(/\r?\n$/, '');
  }
  const fromEnv = io.env.SIGNATORY_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!io.stdin.isTTY) {
    throw new SignatoryError(
      'bad_request',
      'the key is encrypted: give its password with --password-file or SIGNATORY_PASSWORD (no terminal to ask on)',
    );
  }
  return promptHidden('Enter the password: ', io.stdin);
}

async function readSecret(secret: string | undefined, opts: ImportOptions, io: ImportIo): Promise<SecretMaterial> {
  if (opts.from !== undefined) {
    if (secret !== undefined) throw new SignatoryError('bad_request', 'give the key either as an argument or with -f, not both');
    const pem = await readFileBounded(opts.from, `-f ${opts.from}`);
    try {
      return secretFromPem(pem);
    } finally {
      pem.fill(0);
    }
  }
  const text = secret ?? (io.stdin.isTTY ? await promptHidden('Enter the secret key: ', io.stdin) : await readStdin(io.stdin));
  if (text.trim() === '')
    throw new SignatoryError('bad_request', 'no secret key given: pass it as an argument, pipe it on stdin, or use -f key.pem');
  return secretFromText(text.trim(), () => password(opts, io));
}

/** Listing is not on a consensus deadline: throttled GetPublicKey calls are retried this long. */
const LIST_CALL_DEADLINE_MS = 60_000;

/**
 * Refuses to import a key the vault already holds (a usable key with the same address): KMS would
 * make a second key for it without a word. Not knowing counts as holding it: a vault that cannot
 * be listed stops the import too. A single key that cannot be read (disabled, pending deletion,
 * GetPublicKey denied) is named in a warning, not refused: accounts often hold such keys.
 * --allow-duplicate skips the check.
 */
async function refuseDuplicate(ctx: Context, name: string, pkh: string): Promise<void> {
  const vault = openVault(ctx.config.vaults.get(name)!, (m) => ctx.log.warn(m), { deadlineMs: LIST_CALL_DEADLINE_MS });
  const held: string[] = [];
  try {
    for await (const listed of vault.list()) {
      if (listed.ok && listed.key.pkh === pkh) held.push(listed.key.id);
      // a key KMS would not show (disabled, pending deletion, denied, throttled) cannot be compared: say so
      else if (!listed.ok) ctx.log.warn(`import: key ${listed.id} could not be checked for ${pkh}: ${listed.reason}`);
    }
  } catch (e) {
    throw new SignatoryError(
      isSignatoryError(e) ? e.code : 'vault_unavailable',
      `import: cannot check whether vault ${JSON.stringify(name)} already holds ${pkh}: ${(e as Error).message}; nothing was imported (fix the access, or pass --allow-duplicate to import without the check)`,
      { cause: e },
    );
  } finally {
    await vault.close?.();
  }
  if (held.length > 0) {
    throw new SignatoryError(
      'bad_request',
      `import: vault ${JSON.stringify(name)} already holds ${pkh} as ${held.join(', ')}; nothing was imported (importing it again makes another KMS key for the same address: pass --allow-duplicate if that is what you want)`,
    );
  }
}

/**
 * `signatory-cli import --vault NAME [SECRET]`: decodes (and decrypts) the secret locally,
 * refuses key types the vault cannot hold before any KMS call, refuses a key the vault already
 * holds (unless --allow-duplicate), imports it into a new KMS key
 * (see importKey), and prints the address, public key and key ARN. The decoded key bytes are
 * wiped as soon as the import is over, whatever its outcome.
 */
export async function importKeyCommand(
  secret: string | undefined,
  opts: ImportOptions,
  io: ImportIo = { stdin: process.stdin, stdout: process.stdout, env: process.env },
): Promise<void> {
  const ctx = await loadContext(opts);
  const vault = vaultConfig(ctx.config, opts.vault, 'import');
  const named = vaultOptions(opts.opt ?? []);
  if (opts.alias !== undefined && named.name !== undefined && named.name !== opts.alias) {
    throw new SignatoryError('bad_request', '--alias and -o name: disagree; give one of them');
  }
  const alias = opts.alias ?? named.name;
  const key = await readSecret(secret, opts, io);
  try {
    if (opts.allowDuplicate !== true) await refuseDuplicate(ctx, opts.vault, key.pkh);
    ctx.log.info('Requesting import operation', { pkh: key.pkh, vault: opts.vault });
    const client = createKmsClient(vault, KEY_MANAGEMENT_CLIENT);
    try {
      const made = await importKey(
        client,
        { type: key.type, pkcs8: key.pkcs8, pkh: key.pkh, ...(alias !== undefined ? { alias } : {}) },
        (msg, fields) => ctx.log.debug(msg, fields),
      );
      ctx.log.info('Successfully imported', { pkh: made.pkh, vault: opts.vault, keyId: made.keyId });
      io.stdout.write(
        line('Public Key Hash', made.pkh) +
          line('Public Key', made.publicKey) +
          line('Reference', made.keyId) +
          (made.alias ? line('Alias', made.alias) : ''),
      );
    } finally {
      client.destroy();
    }
  } finally {
    key.wipe();
  }
}
