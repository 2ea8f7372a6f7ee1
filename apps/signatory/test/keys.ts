/** Test keys the HTTP suites share (public test keys; never hold funds), named as these suites name them. */
import { TZ1_KEY, TZ3_KEY } from '@signatory-ts/dev-servers';

/** tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf: the key of Go Signatory's watermark integration tests. */
export const { sk: W_SK, pkh: W, pk: W_PK } = TZ1_KEY;

/** A P-256 (tz3) key. */
export const { sk: TZ3_SK, pkh: TZ3, pk: TZ3_PK } = TZ3_KEY;
