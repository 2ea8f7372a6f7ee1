export { createLogger, logProcessWarnings, LOG_LEVELS, type Logger, type LoggerOptions, type LogLevel } from './logger';
