import { ConfigError } from '@signatory-ts/config';

/** The ConfigError `load` throws; fails the test when the config is accepted or something else is thrown. */
export function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('config was accepted');
}
