/**
 * The `?version=` query parameter of POST /keys (Go Signatory's signing version): "0", "1" and "2"
 * are taken as given, anything else (absent, empty, unknown) means the latest, 2. It selects BLS
 * signing modes for in-memory tz4 keys in Go Signatory; KMS keys (tz1/tz2/tz3) sign the same way
 * whatever it says, so here it is parsed, logged and otherwise has no effect.
 */
export type SigningVersion = 0 | 1 | 2;

export function parseSigningVersion(value: unknown): SigningVersion {
  if (value === '0') return 0;
  if (value === '1') return 1;
  return 2;
}
