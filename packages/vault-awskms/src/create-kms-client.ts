import { KMSClient, type KMSClientConfig, type SignCommand, type SignCommandOutput } from '@aws-sdk/client-kms';
import { awsClientConnection, type AwsKmsConfig } from '@signatory-ts/config';

export interface KmsClientOptions {
  /** TCP connect timeout (ms). Default 1000. */
  readonly connectionTimeoutMs?: number;
  /** Sockets the client may open to KMS (keep-alive pool; calls beyond it queue for a socket). Default 50. */
  readonly maxSockets?: number;
  /**
   * SDK attempts per call. Default 1: the vault retries itself (callWithRetry, bounded by its
   * deadline). Key management (create, import) passes more, for KMS's low per-second quotas
   * (GetParametersForImport 0.25/s, GetPublicKey 5/s).
   */
  readonly maxAttempts?: number;
}

/**
 * The SDK client for one `awskms` vault's settings, used by the vault and by key management.
 * Credentials in the config are passed to the client (never copied into the environment); what
 * the config leaves out comes from the SDK's usual chain. No request timeout: every vault call is
 * aborted by callWithRetry (attempt timeout / deadline).
 */
export function createKmsClient(config: AwsKmsConfig, options: KmsClientOptions = {}): KMSClient {
  const maxSockets = options.maxSockets ?? 50;
  const c: KMSClientConfig = {
    ...awsClientConnection(config),
    maxAttempts: options.maxAttempts ?? 1,
    cacheMiddleware: true, // see sendAbortable
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 1000,
      httpAgent: { keepAlive: true, maxSockets },
      httpsAgent: { keepAlive: true, maxSockets },
    },
  };
  const client = new KMSClient(c);
  const handler = client.config.requestHandler;
  // innermost: sends the signed request as the SDK's last step would, with the call's own signal
  client.middlewareStack.add(
    (next) => (args) => {
      const abortSignal = signals.get(args.input as object);
      return abortSignal === undefined ? next(args) : handler.handle(args.request as never, { abortSignal });
    },
    { step: 'deserialize', priority: 'low', name: 'signatoryAbortSignal' },
  );
  abortable.add(client);
  return client;
}

/** Command input -> the AbortSignal of its call (see sendAbortable). */
const signals = new WeakMap<object, AbortSignal>();
/** Clients made by createKmsClient, which read those signals. */
const abortable = new WeakSet<KMSClient>();

/**
 * `client.send(command, { abortSignal })` for the hot path (Sign), cheaper. The SDK rebuilds and sorts its middleware
 * stack on every call that passes options; a client made with `cacheMiddleware` reuses it, but
 * only for calls without options. So the signal travels with the command's input, and the
 * innermost middleware createKmsClient adds hands it to the HTTP handler (which aborts the
 * request, as with the option). For a client made elsewhere this is plain `send` with the option.
 */
export function sendAbortable(client: KMSClient, command: SignCommand, abortSignal: AbortSignal): Promise<SignCommandOutput> {
  if (!abortable.has(client)) return client.send(command, { abortSignal });
  signals.set(command.input, abortSignal);
  return client.send(command);
}
