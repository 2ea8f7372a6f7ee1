import { SignatoryError } from '@signatory-ts/core';
import { importKey } from '@signatory-ts/vault-awskms';
import { readFileBounded } from '../bounded-read';
import { loadContext, vaultConfig, type GlobalOptions } from '../context';
import { kmsClient } from '../kms-client';
import { line } from '../key-record';
import type { Out } from '../output';
import { promptHidden, readStdin } from '../prompt';
import { secretFromPem, secretFromText, type SecretMaterial } from '../secret-input';

export interface ImportOptions extends GlobalOptions {
  vault: string;
  /** `-f`: PKCS#8 PEM file. */
  from?: string;
  passwordFile?: string;
  /** `-o key:val[,key:val]`, repeatable; `name` is the KMS alias. */
  opt?: string[];
  alias?: string;
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
    throw new SignatoryError('bad_request', 'the key is encrypted: give its password with --password-file or SIGNATORY_PASSWORD (no terminal to ask on)');
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
  if (text.trim() === '') throw new SignatoryError('bad_request', 'no secret key given: pass it as an argument, pipe it on stdin, or use -f key.pem');
  return secretFromText(text.trim(), () => password(opts, io));
}

/**
 * `signatory-cli import --vault NAME [SECRET]`: decodes (and decrypts) the secret locally,
 * refuses key types the vault cannot hold before any KMS call, imports it into a new KMS key
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
    ctx.log.info('Requesting import operation', { pkh: key.pkh, vault: opts.vault });
    const client = kmsClient(vault);
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
