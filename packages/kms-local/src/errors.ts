/**
 * KMS error vocabulary: each code with the HTTP status real KMS answers with. Client errors are 400
 * (real KMS answers NotFoundException with 400 even though the Smithy model says 404); server-side
 * faults are 5xx so SDKs classify them as retryable.
 */
export const KMS_ERROR_STATUS = {
  // request / auth
  MissingAuthenticationTokenException: 400,
  IncompleteSignatureException: 400,
  InvalidSignatureException: 400,
  UnrecognizedClientException: 400,
  AccessDeniedException: 400,
  UnknownOperationException: 400,
  SerializationException: 400,
  ValidationException: 400,
  // keys and aliases
  NotFoundException: 400,
  DisabledException: 400,
  KMSInvalidStateException: 400,
  InvalidKeyUsageException: 400,
  UnsupportedOperationException: 400,
  AlreadyExistsException: 400,
  InvalidAliasNameException: 400,
  InvalidMarkerException: 400,
  KMSInvalidSignatureException: 400,
  DryRunOperationException: 400,
  // import
  IncorrectKeyMaterialException: 400,
  InvalidImportTokenException: 400,
  ExpiredImportTokenException: 400,
  InvalidCiphertextException: 400,
  // quota
  ThrottlingException: 400,
  LimitExceededException: 400,
  // server side (retryable)
  KMSInternalException: 500,
  KeyUnavailableException: 500,
  DependencyTimeoutException: 503,
} as const;

export type KmsErrorCode = keyof typeof KMS_ERROR_STATUS;

export function isKmsErrorCode(value: unknown): value is KmsErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(KMS_ERROR_STATUS, value);
}

/** An error answered on the wire as `{"__type": code, "message": message}` with the code's status. */
export class KmsError extends Error {
  readonly status: number;

  constructor(
    readonly code: KmsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
    this.status = KMS_ERROR_STATUS[code];
  }
}
