// Types of hex-builder.js (plain JavaScript so that scripts/gen-zk-vectors.js builds its inputs with it too).
export declare const rep: (byte: string, n: number) => string;
export declare const u8: (n: number) => string;
export declare const u16: (n: number) => string;
export declare const i32: (n: number) => string;
export declare const i64: (n: bigint | number) => string;
export declare const dyn: (hex: string) => string;
/** Zarith natural. */
export declare function zn(v: bigint | number): string;
/** Zarith integer. */
export declare function zz(v: bigint | number): string;
/** Tagged public key hash: tag 0..4 then 20 bytes of `fill`. */
export declare const pkh: (tag: number, fill?: string) => string;
export declare const BRANCH: string;
/** Manager header: source, fee, counter, gas limit, storage limit (small values by default). */
export declare const managerHeader: (
  source?: string,
  fee?: bigint | number,
  counter?: bigint | number,
  gasLimit?: bigint | number,
  storageLimit?: bigint | number,
) => string;
