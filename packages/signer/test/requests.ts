/** The keys and the signing requests (hex) the signer suites sign with. */
import { TZ1_KEY, TZ3_KEY } from '@signatory-ts/dev-servers';

export const ED_SK = TZ1_KEY.sk;
export const ED = TZ1_KEY.pkh;
export const P_SK = TZ3_KEY.sk;
export const P = TZ3_KEY.pkh;

export const CHAIN = 'NetXo5iVw1vBoxM';
/** preattestation, level 34, round 4, chain NetXo5iVw1vBoxM (Go Signatory's C2). */
export const C2 =
  '12b3d79f993222f293d2f293230ec36b0bef1caead619f1a7206ff54a0c198f07ae25bb151140014000000220000000458335430566f4b95401c110f33e74d3a324f83ad6003ed9d5e93ce617fa11e44';
/** C2 at another level (same chain, round 4). */
export const preattestationAt = (level: number) => C2.slice(0, 80) + level.toString(16).padStart(8, '0') + C2.slice(88);
/** A transaction by ED (forged with @taquito/local-forging, branch = genesis). */
export const TRANSACTION =
  '038fcf233671b6a04fcf679d2a381c2544ea6c1ea29ba6157776ed8424c7ccd00b6c02e9eef147a9399f12f73e7849c56de3d7b4d5edf9f40302c00c00c0843d00004cbddc4b0180973d51a3665ca42970da24a7a23c00';
