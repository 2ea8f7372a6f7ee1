import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root. */
export const REPO = path.resolve(__dirname, '../../..');

/**
 * Runs `scripts/bundle.js --out <dir>` (what `npm run bundle` runs after the build): each test
 * bundles into a directory of its own, from the current sources (esbuild: about a second).
 */
export function bundleInto(dir: string): void {
  execFileSync(process.execPath, [path.join(REPO, 'scripts', 'bundle.js'), '--out', dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 120_000,
  });
}

/** The first node_modules directory Node would search from a file in `dir`, if any. */
export function nodeModulesAbove(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'node_modules'))) return path.join(d, 'node_modules');
    if (path.dirname(d) === d) return undefined;
  }
}
