import { Command } from 'commander';
import type * as DecodeCommand from './commands/decode';

/**
 * The command tree. Each command lives in commands/<name>.ts as a plain async function and is
 * loaded lazily, so `signatory-cli decode` never loads the AWS SDK.
 */
export function buildProgram(): Command {
  const program = new Command('signatory-cli')
    .description('Signatory TS operator CLI')
    .option('-c, --config <file>', 'configuration file', '/etc/signatory.yaml')
    .option('--base-dir <dir>', 'base directory (overrides base_dir in the config)')
    .option('--log <level>', 'log level: error, warn, info, debug, trace', 'info')
    .option('--json-log', 'log as JSON lines')
    .showHelpAfterError();

  // Commands register here, e.g.:
  // program.command('decode [hex]').description('…').action(async (hex, opts) =>
  //   (await import('./commands/decode')).decode(...));

  program
    .command('decode [hex]')
    .description('decode a sign request (hex bytes, magic byte included; read from stdin when absent)')
    .option('--json', 'print JSON (amounts as decimal strings, keys and hashes in base58)')
    .option('--key-type <type>', 'type of the signing key (tz1, tz2, tz3, tz4): refuse consensus tags it never sends')
    .option('--protocol <name>', 'protocol tables for generic operations: ushuaia or tallinn', 'ushuaia')
    .action(async (hex: string | undefined, opts: { json?: boolean; keyType?: string; protocol?: string }) => {
      // loaded on use, so other commands never pay for it
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { decode } = require('./commands/decode') as typeof DecodeCommand;
      await decode(hex, opts);
    });

  return program;
}
