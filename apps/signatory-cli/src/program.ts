import { GLOBAL_OPTIONS } from '@signatory-ts/config';
import { Command } from 'commander';
import type * as DecodeCommand from './commands/decode';
import type * as ListCommand from './commands/list';
import type * as ListRequestsCommand from './commands/list-requests';
import type * as ListOpsCommand from './commands/list-ops';
import type * as ImportCommand from './commands/import';
import type * as GenerateCommand from './commands/generate';
import type * as WatermarkCommand from './commands/watermark';
import type * as ConfigCheckCommand from './commands/config-check';
import type * as WatermarkTransferCommand from './commands/watermark-transfer';
import type * as LimitsCommand from './commands/limits';
import type { GlobalOptions } from './context';

/* eslint-disable @typescript-eslint/no-require-imports -- commands load on use, so others never pay for them */

/** Program-level options (-c, --base-dir, --log, --json-log) merged with the command's own. */
function allOptions<T>(command: Command): T & GlobalOptions {
  return command.optsWithGlobals<T & GlobalOptions>();
}

/** Collects repeated `-o key:val[,key:val]` options. */
function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * The command tree. Each command lives in commands/<name>.ts as a plain async function and is
 * loaded lazily, so `signatory-cli decode` never loads the AWS SDK.
 */
export function buildProgram(): Command {
  const program = new Command('signatory-cli').description('Signatory TS operator CLI').showHelpAfterError();
  for (const [flags, description, defaultValue] of GLOBAL_OPTIONS) program.option(flags, description, defaultValue);

  program
    .command('decode [hex]')
    .description('decode a sign request (hex bytes, magic byte included; read from stdin when absent)')
    .option('--json', 'print JSON (amounts as decimal strings, keys and hashes in base58)')
    .option('--key-type <type>', 'type of the signing key (tz1, tz2, tz3, tz4): refuse consensus tags it never sends')
    .option(
      '--protocol <name>',
      'protocol tables for generic operations (default: the current protocol; an unknown name lists the known ones)',
    )
    .action(async (hex: string | undefined, opts: { json?: boolean; keyType?: string; protocol?: string }) => {
      const { decode } = require('./commands/decode') as typeof DecodeCommand;
      await decode(hex, opts);
    });

  program
    .command('list')
    .description('List public keys')
    .option('--json', 'print the keys (and skipped keys) as JSON')
    .option('-v, --verbose', 'list every skipped key with its reason')
    .option('--concurrency <n>', 'parallel KMS GetPublicKey calls (throttled calls are retried)', '32')
    .action(async (_opts: object, command: Command) => {
      const { list } = require('./commands/list') as typeof ListCommand;
      await list(allOptions<ListCommand.ListOptions>(command));
    });

  program
    .command('list-requests')
    .description('Print possible request types')
    .action(async () => {
      const { listRequests } = require('./commands/list-requests') as typeof ListRequestsCommand;
      await listRequests();
    });

  program
    .command('list-ops')
    .description('Print possible operation types inside the `generic` request')
    .action(async () => {
      const { listOps } = require('./commands/list-ops') as typeof ListOpsCommand;
      await listOps();
    });

  program
    .command('import [secret-key]')
    .description('Import Tezos private keys (edsk..., spsk..., p2sk...)')
    .requiredOption('--vault <name>', 'vault to import into (its name under vaults: in the config)')
    .option('-f, --from <file>', 'read an unencrypted PKCS#8 PEM private key from this file')
    .option('--password-file <file>', 'file holding the password of an encrypted key (edesk/spesk/p2esk)')
    .option('-o, --opt <key:val>', 'vault option, e.g. name:<alias> (repeatable, or comma-separated)', collect)
    .option('--alias <alias>', 'KMS alias for the new key (same as -o name:<alias>)')
    .option('--allow-duplicate', 'import even if the vault already holds a usable key with the same address')
    .addHelpText(
      'after',
      '\nThe secret key comes from the argument, else from stdin when it is piped, else from a prompt that does not echo.\n' +
        'The password of an encrypted key comes from --password-file, else $SIGNATORY_PASSWORD, else a prompt.',
    )
    .action(async (secret: string | undefined, _opts: object, command: Command) => {
      const { importKeyCommand } = require('./commands/import') as typeof ImportCommand;
      await importKeyCommand(secret, allOptions<ImportCommand.ImportOptions>(command));
    });

  program
    .command('generate')
    .description('Generate a new key in a vault')
    .requiredOption('--vault <name>', 'vault to create the key in (its name under vaults: in the config)')
    .requiredOption('-t, --type <type>', 'key type: tz1 (Ed25519), tz2 (secp256k1) or tz3 (P-256)')
    .option('--alias <alias>', 'KMS alias for the new key')
    .action(async (_opts: object, command: Command) => {
      const { generate } = require('./commands/generate') as typeof GenerateCommand;
      await generate(allOptions<GenerateCommand.GenerateOptions>(command));
    });

  const watermark = program
    .command('watermark')
    .description('Show, reset, export or import the high watermarks of the store the config names (watermark: driver)');
  watermark
    .command('show')
    .description('print every watermark slot (chain, pkh, kind, level, round)')
    .option('--json', 'print JSON')
    .action(async (_opts: object, command: Command) => {
      const { watermarkShow } = require('./commands/watermark') as typeof WatermarkCommand;
      await watermarkShow(allOptions<WatermarkCommand.ShowOptions>(command));
    });
  watermark
    .command('reset')
    .description('delete one watermark slot (the signer will then sign that slot at any level: stop it first)')
    .requiredOption('--chain <chain-id>', 'chain id (Net…)')
    .requiredOption('--pkh <pkh>', 'key hash (tz…)')
    .requiredOption('--kind <kind>', 'block, preattestation, attestation or attestation_with_dal')
    .option('--force', 'really reset')
    .action(async (_opts: object, command: Command) => {
      const { watermarkReset } = require('./commands/watermark') as typeof WatermarkCommand;
      await watermarkReset(allOptions<WatermarkCommand.ResetOptions>(command));
    });
  watermark
    .command('export')
    .description('print every mark (chain, pkh, kind, level, round, digest) as JSON, for `watermark import`')
    .option('--out <file>', 'write to this new file instead of stdout (an existing file is never overwritten)')
    .action(async (_opts: object, command: Command) => {
      const { watermarkExport } = require('./commands/watermark-transfer') as typeof WatermarkTransferCommand;
      await watermarkExport(allOptions<WatermarkTransferCommand.ExportOptions>(command));
    });
  watermark
    .command('import')
    .description('raise marks from another source (never lowers one); a dry run unless --apply')
    .option('--from <file>', 'a file written by `watermark export`')
    .option('--from-config <file>', 'another signatory.yaml: every mark of the store it names')
    .option('--from-go-dir <dir>', "Go Signatory's base_dir (its watermark_v2/<chain-id>.json files)")
    .option('--apply', 'write the marks (without it, only print what would be raised, kept and refused)')
    .addHelpText(
      'after',
      "\nEach mark goes through the store's own compare-and-set, so it only ever raises a mark and is safe while signers run.\n" +
        'An imported mark carries no signature: an identical request at its level and round is refused, never replayed.\n' +
        'Exits non-zero if any entry was refused.',
    )
    .action(async (_opts: object, command: Command) => {
      const { watermarkImport } = require('./commands/watermark-transfer') as typeof WatermarkTransferCommand;
      await watermarkImport(allOptions<WatermarkTransferCommand.ImportOptions>(command));
    });

  const limits = program.command('limits').description("Show each key's limits and spend caps, or reset a spend window");
  limits
    .command('show')
    .description("print each key's limits and, per spend window, what is spent and left")
    .option('--json', 'print JSON (amounts in mutez as decimal strings)')
    .action(async (_opts: object, command: Command) => {
      const { limitsShow } = require('./commands/limits') as typeof LimitsCommand;
      await limitsShow(allOptions<LimitsCommand.ShowOptions>(command));
    });
  limits
    .command('reset')
    .description('clear a spend window of a key (it may then spend its whole cap again at once)')
    .requiredOption('--key <pkh>', 'key hash (tz…) with limits.spend in the config')
    .requiredOption('--window <window>', "one of the key's spend windows (e.g. 1h, 24h), or all")
    .option('--force', 'really reset')
    .action(async (_opts: object, command: Command) => {
      const { limitsReset } = require('./commands/limits') as typeof LimitsCommand;
      await limitsReset(allOptions<LimitsCommand.ResetOptions>(command));
    });

  const config = program.command('config').description('Check signatory.yaml');
  config
    .command('check')
    .description('validate the config as `signatory serve` loads it and print what each key may sign, in words (exit 3 on problems)')
    .option('--json', 'print JSON')
    .option('--strict', 'treat warnings as problems (exit 3)')
    .action(async (_opts: object, command: Command) => {
      const { configCheck } = require('./commands/config-check') as typeof ConfigCheckCommand;
      await configCheck(allOptions<ConfigCheckCommand.ConfigCheckOptions>(command));
    });

  return program;
}
