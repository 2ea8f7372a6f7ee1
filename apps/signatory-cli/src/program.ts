import { Command } from 'commander';

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

  return program;
}
