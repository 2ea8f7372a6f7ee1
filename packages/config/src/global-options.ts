/** The configuration file both programs read when `-c` is not given (as Go Signatory). */
export const DEFAULT_CONFIG_FILE = '/etc/signatory.yaml';

/**
 * The options `signatory` and `signatory-cli` both take before any command, as commander's
 * `.option(flags, description, default)` arguments, in the order help lists them.
 */
export const GLOBAL_OPTIONS: readonly (readonly [flags: string, description: string, defaultValue?: string])[] = [
  ['-c, --config <file>', 'configuration file', DEFAULT_CONFIG_FILE],
  ['--base-dir <dir>', 'base directory (overrides base_dir in the config)'],
  ['--log <level>', 'log level: error, warn, info, debug, trace', 'info'],
  ['--json-log', 'log as JSON lines'],
];
