#!/usr/bin/env node
// `npm run bundle`: one self-contained file per app in dist-bundle/ (signatory.js, signatory-cli.js,
// kms-local.js for the docker-compose example)
// that runs with `node` alone, no node_modules. esbuild reads the TypeScript sources of the apps and
// of the workspace packages (so a bundle never holds a stale dist/); `npm run bundle` type-checks them
// with the build first. The one native part, the watermark lock's fs-native-extensions, cannot be
// inlined: its prebuilt binaries for Linux and macOS are copied to dist-bundle/prebuilds/<platform>-<arch>/
// and the bundle loads the one for the platform it runs on.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
// `--out <dir>` bundles elsewhere (tests bundle into their own temporary directories)
const outFlag = process.argv.indexOf('--out');
const out = outFlag > 0 ? path.resolve(process.argv[outFlag + 1] ?? '') : path.join(root, 'dist-bundle');
const ADDON = 'fs-native-extensions';
const addonDir = path.dirname(require.resolve(`${ADDON}/package.json`, { paths: [path.join(root, 'packages/watermark')] }));
/** Platforms the daemon supports (a container is linux-x64 or linux-arm64; macOS for development). */
const PLATFORMS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'];

const APPS = [
  { name: 'signatory', entry: 'apps/signatory/src/main.ts' },
  { name: 'signatory-cli', entry: 'apps/signatory-cli/src/main.ts' },
  // the local KMS of examples/docker-compose.yml (its own image stage; never in the signatory image)
  { name: 'kms-local', entry: 'packages/kms-local/src/main.ts' },
];

/** `@signatory-ts/<name>` -> packages/<name>/src/index.ts. */
const workspaceSources = {
  name: 'workspace-sources',
  setup(build) {
    build.onResolve({ filter: /^@signatory-ts\/[a-z-]+$/ }, (args) => {
      const file = path.join(root, 'packages', args.path.slice('@signatory-ts/'.length), 'src', 'index.ts');
      return fs.existsSync(file) ? { path: file } : undefined;
    });
  },
};

/**
 * fs-native-extensions finds its binary through require-addon, which searches the package's own
 * directory at run time; inside a bundle that directory does not exist. Its binding.js is replaced
 * by a require of the binary copied beside the bundle.
 */
const nativeAddon = {
  name: 'native-addon',
  setup(build) {
    build.onLoad({ filter: /fs-native-extensions[\\/]binding\.js$/ }, () => ({
      contents:
        "const path = require('node:path');\n" +
        `module.exports = require(path.join(__dirname, 'prebuilds', process.platform + '-' + process.arch, '${ADDON}.node'));\n`,
      loader: 'js',
    }));
  },
};

async function main() {
  fs.rmSync(out, { recursive: true, force: true });
  for (const app of APPS) {
    const entry = path.join(root, app.entry);
    const result = await esbuild.build({
      entryPoints: [entry],
      outfile: path.join(out, `${app.name}.js`),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      // pg's native client is an optional alternative to its JS one, never used here
      external: ['pg-native'],
      plugins: [workspaceSources, nativeAddon],
      legalComments: 'linked',
      logLevel: 'warning',
    });
    if (result.errors.length > 0) throw new Error(`bundling ${app.name} failed`);
  }
  for (const platform of PLATFORMS) {
    const from = path.join(addonDir, 'prebuilds', platform, `${ADDON}.node`);
    const to = path.join(out, 'prebuilds', platform, `${ADDON}.node`);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
  fs.copyFileSync(path.join(addonDir, 'LICENSE'), path.join(out, 'prebuilds', `${ADDON}.LICENSE`));
  process.stdout.write(
    `${outFlag > 0 ? out : 'dist-bundle'}/: ${APPS.map((a) => `${a.name}.js`).join(', ')}, prebuilds/ (${PLATFORMS.join(', ')})\n`,
  );
}

main().catch((e) => {
  process.stderr.write(`bundle: ${e.message}\n`);
  process.exit(1);
});
