export { loadConfig, parseConfig, ConfigError, ConfigSchema, ENV_SETTINGS, type Config } from './config';
export { createLogger, type Logger } from './logger';
export { connectClient, connectionOptions } from './temporal';
export { createDataConverter } from './data-converter';
export { canonicalJson, sha256Hex } from './canonical-json';
