import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetPublicKeyCommand,
  ScheduleKeyDeletionCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { publicKeyFromSpki, SignatoryError } from '@signatory-ts/core';
import { KEY_SPEC_BY_TYPE, kmsTezosKey, type KmsKeyType, type TezosPublicKey } from './kms-public-key';

/** A KMS key that now holds a Tezos key. */
export interface CreatedKmsKey {
  /** Key ARN (what `list` prints as Reference). */
  readonly keyId: string;
  readonly pkh: string;
  readonly publicKey: string;
  /** `alias/<name>` when one was created. */
  readonly alias?: string;
}

/** Progress notes (step names and ARNs only, never key material) for the caller's log. */
export type StepLog = (message: string, fields?: Record<string, string>) => void;

/** Days a half-made key waits before KMS deletes it (the KMS minimum). */
export const CLEANUP_WINDOW_DAYS = 7;

const ALIAS_NAME = /^alias\/[A-Za-z0-9/_-]{1,250}$/;

/**
 * `alias/<name>` from `name` or `alias/name`; refused before any KMS call when KMS would refuse
 * it (characters, length, the reserved `alias/aws/` space).
 */
export function aliasName(alias: string): string {
  const full = alias.startsWith('alias/') ? alias : `alias/${alias}`;
  if (!ALIAS_NAME.test(full) || full.startsWith('alias/aws/')) {
    throw new SignatoryError(
      'bad_request',
      `alias ${JSON.stringify(alias)} is not a valid KMS alias: use letters, digits, '/', '_' and '-' (at most 256 characters with the alias/ prefix), not starting with aws/`,
    );
  }
  return full;
}

function awsError(e: unknown): string {
  const err = e as { name?: string; message?: string };
  return err.name && err.message ? `${err.name}: ${err.message}` : String(e);
}

/**
 * Runs `steps` on a key that was just created; if any of them fails, schedules that key for
 * deletion (7 days, cancellable with CancelKeyDeletion) and throws an error that says which step
 * failed and what became of the key, so no usable half-made key is left behind unnoticed.
 */
export async function finishOrDelete<T>(
  client: KMSClient,
  keyId: string,
  what: string,
  steps: () => Promise<T>,
  log?: StepLog,
): Promise<T> {
  try {
    return await steps();
  } catch (e) {
    let fate: string;
    try {
      const r = await client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: CLEANUP_WINDOW_DAYS }));
      const when = r.DeletionDate?.toISOString() ?? `in ${CLEANUP_WINDOW_DAYS} days`;
      fate = `key ${keyId} is scheduled for deletion on ${when} (undo with: aws kms cancel-key-deletion --key-id ${keyId})`;
      log?.('scheduled the half-made key for deletion', { keyId, deletionDate: when });
    } catch (d) {
      fate = `could not schedule key ${keyId} for deletion (${awsError(d)}): delete it yourself with: aws kms schedule-key-deletion --key-id ${keyId} --pending-window-in-days 7`;
    }
    const reason = e instanceof SignatoryError ? e.message : awsError(e);
    const code = e instanceof SignatoryError ? e.code : 'vault_unavailable';
    throw new SignatoryError(code, `${what} failed: ${reason}; ${fate}`, { cause: e });
  }
}

/** GetPublicKey, read as a Tezos key. */
export async function readTezosPublicKey(client: KMSClient, keyId: string): Promise<TezosPublicKey> {
  const r = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
  if (r.PublicKey === undefined) throw new SignatoryError('vault_unavailable', `GetPublicKey returned no public key for ${keyId}`);
  try {
    return kmsTezosKey(publicKeyFromSpki(r.PublicKey));
  } catch (e) {
    throw new SignatoryError('vault_unavailable', `key ${keyId}: ${(e as Error).message}`);
  }
}

/**
 * Refuses, before anything is created, an alias that already names a key (DescribeKey on it).
 * If the alias cannot be checked (no kms:DescribeKey), CreateAlias decides later.
 */
async function checkAliasFree(client: KMSClient, alias: string): Promise<void> {
  let arn: string | undefined;
  try {
    arn = (await client.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.Arn;
  } catch {
    return;
  }
  throw new SignatoryError(
    'bad_request',
    `alias ${alias} already names key ${arn ?? '(unknown)'}: choose another alias (nothing was created)`,
  );
}

async function createAlias(client: KMSClient, alias: string, keyId: string): Promise<void> {
  await client.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
}

/** CreateKey: a SIGN_VERIFY key of the type's spec. */
async function createKmsKey(client: KMSClient, type: KmsKeyType, origin: 'AWS_KMS' | 'EXTERNAL', description: string): Promise<string> {
  let r;
  try {
    r = await client.send(
      new CreateKeyCommand({ KeySpec: KEY_SPEC_BY_TYPE[type], KeyUsage: 'SIGN_VERIFY', Origin: origin, Description: description }),
    );
  } catch (e) {
    throw new SignatoryError('vault_unavailable', `CreateKey failed (nothing was created): ${awsError(e)}`, { cause: e });
  }
  const arn = r.KeyMetadata?.Arn;
  if (arn === undefined) throw new SignatoryError('vault_unavailable', 'CreateKey returned no key ARN');
  return arn;
}

/** How generate and import make their KMS key. */
export interface NewKmsKey {
  readonly type: KmsKeyType;
  readonly origin: 'AWS_KMS' | 'EXTERNAL';
  readonly description: string;
  /** `name` or `alias/name`. */
  readonly alias?: string | undefined;
  /** The command, for the error of a failed step (`generate failed: …`). */
  readonly what: string;
  /** The log note once CreateKey answered. */
  readonly created: string;
}

/**
 * The steps generate and import share: the alias checked free before anything is made, CreateKey,
 * then `fill` (which gives the key its Tezos key and returns the public key KMS reads back), then
 * the alias. If a step after CreateKey fails, the new key is scheduled for deletion (finishOrDelete).
 */
export async function createTezosKey(
  client: KMSClient,
  key: NewKmsKey,
  fill: (keyId: string) => Promise<TezosPublicKey>,
  log?: StepLog,
): Promise<CreatedKmsKey> {
  const alias = key.alias === undefined ? undefined : aliasName(key.alias);
  if (alias !== undefined) await checkAliasFree(client, alias);
  const keyId = await createKmsKey(client, key.type, key.origin, key.description);
  log?.(key.created, { keyId });
  return finishOrDelete(
    client,
    keyId,
    key.what,
    async () => {
      const pk = await fill(keyId);
      if (alias !== undefined) await createAlias(client, alias, keyId);
      return { keyId, pkh: pk.pkh, publicKey: pk.publicKey, ...(alias !== undefined ? { alias } : {}) };
    },
    log,
  );
}

export interface GenerateKeyInput {
  readonly type: KmsKeyType;
  /** `name` or `alias/name`. */
  readonly alias?: string;
  readonly description?: string;
}

/**
 * Creates a new KMS signing key of the right spec for `type` (KMS makes the private key, which
 * never leaves it), reads its public key back, and names it with an alias when asked.
 */
export function generateKey(client: KMSClient, input: GenerateKeyInput, log?: StepLog): Promise<CreatedKmsKey> {
  const key: NewKmsKey = {
    type: input.type,
    origin: 'AWS_KMS',
    description: input.description ?? `Tezos ${input.type} signing key (signatory-cli generate)`,
    alias: input.alias,
    what: 'generate',
    created: 'created KMS key',
  };
  return createTezosKey(
    client,
    key,
    async (keyId) => {
      const pk = await readTezosPublicKey(client, keyId);
      if (pk.type !== input.type) throw new SignatoryError('vault_unavailable', `KMS made a ${pk.type} key, not ${input.type}`);
      return pk;
    },
    log,
  );
}
