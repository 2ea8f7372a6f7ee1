/** Test keys the HTTP suites share (public test keys; never hold funds). */

/** tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf: the key of Go Signatory's watermark integration tests. */
export const W_SK = 'edsk3REH79xaoCkNizrDo8cY4WYwEkrFLTAdjb1pjcP9yQora4qE3Y';
export const W = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
export const W_PK = 'edpkuFt8yrNyseDKXvMsQ12NTEoqJEnkPQaCp4Kw5WPCEJHr5YV48m';

/** A P-256 (tz3) key. */
export const TZ3_SK = 'p2sk2rUMnnnFPQCB7DBozkCZrFhiZ87ddrpAHbRcww7dwU2WHYUbci';
export const TZ3 = 'tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK';
export const TZ3_PK = 'p2pk65pxFqFj1N66zRRQtdbEJWHMH5hRv4WsRkaGWQJtZ5bv8nVx6Dg';
