import Joi from 'joi';

/**
 * The only reader of process.env. Everything the service can be told by its environment is listed in
 * `.env.example`; a value that fails validation stops the process before it serves anything.
 */
export interface Config {
  readonly nodeEnv: 'development' | 'test' | 'production';
  readonly port: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly queuePrefix: string;
  readonly piiEncryptionKey: Buffer;
  readonly piiHashKey: Buffer;
  readonly logLevel: string;
  readonly logFile: string | undefined;
  readonly tempLossTtlSeconds: number;
  readonly tempLossOnLapse: 'reactivate' | 'lost';
  readonly partnerRateLimitPerMinute: number;
  readonly publicRateLimitPerMinute: number;
  readonly uploadRetentionDays: number;
  readonly uploadDir: string;
  readonly dbPoolMax: number;
  readonly trustProxy: string | false;
}

/** The keys shipped in `.env.example`; production refuses them. */
export const EXAMPLE_ENCRYPTION_KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
export const EXAMPLE_HASH_KEY = '1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100';

const hexKey = Joi.string()
  .pattern(/^[0-9a-fA-F]{64}$/)
  .messages({ 'string.pattern.base': '{{#label}} must be 32 bytes written as 64 hex characters' });

const schema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'test', 'production').default('development'),
  PORT: Joi.number().integer().min(0).max(65535).default(3000),
  DATABASE_URL: Joi.string()
    .uri({ scheme: ['mysql'] })
    .default('mysql://root@127.0.0.1:3306/citizen_card'),
  REDIS_URL: Joi.string()
    .uri({ scheme: ['redis', 'rediss'] })
    .default('redis://127.0.0.1:6379/0'),
  QUEUE_PREFIX: Joi.string()
    .pattern(/^[A-Za-z0-9_-]+$/)
    .default('cc'),
  PII_ENCRYPTION_KEY: hexKey.default(EXAMPLE_ENCRYPTION_KEY),
  PII_HASH_KEY: hexKey.default(EXAMPLE_HASH_KEY),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),
  LOG_FILE: Joi.string().allow('').optional(),
  TEMP_LOSS_TTL_SECONDS: Joi.number().integer().min(1).default(604800),
  TEMP_LOSS_ON_LAPSE: Joi.string().valid('reactivate', 'lost').default('reactivate'),
  PARTNER_RATE_LIMIT_PER_MINUTE: Joi.number().integer().min(1).default(600),
  PUBLIC_RATE_LIMIT_PER_MINUTE: Joi.number().integer().min(1).default(30),
  UPLOAD_RETENTION_DAYS: Joi.number().integer().min(1).default(30),
  UPLOAD_DIR: Joi.string().default('var/uploads'),
  DB_POOL_MAX: Joi.number().integer().min(2).max(200).default(20),
  TRUST_PROXY: Joi.string().allow('').default(''),
}).unknown(true);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.validate(env, { abortEarly: false });
  if (result.error) throw new Error(`Invalid configuration: ${result.error.message}`);
  const v = result.value as Record<string, string | number>;
  const nodeEnv = v.NODE_ENV as Config['nodeEnv'];
  const encryptionKey = String(v.PII_ENCRYPTION_KEY).toLowerCase();
  const hashKey = String(v.PII_HASH_KEY).toLowerCase();
  if (
    nodeEnv === 'production' &&
    (encryptionKey === EXAMPLE_ENCRYPTION_KEY || hashKey === EXAMPLE_HASH_KEY)
  ) {
    throw new Error(
      'Invalid configuration: PII_ENCRYPTION_KEY and PII_HASH_KEY must not be the example values in production',
    );
  }
  if (encryptionKey === hashKey) {
    throw new Error('Invalid configuration: PII_ENCRYPTION_KEY and PII_HASH_KEY must differ');
  }
  return Object.freeze({
    nodeEnv,
    port: Number(v.PORT),
    databaseUrl: String(v.DATABASE_URL),
    redisUrl: String(v.REDIS_URL),
    queuePrefix: String(v.QUEUE_PREFIX),
    piiEncryptionKey: Buffer.from(encryptionKey, 'hex'),
    piiHashKey: Buffer.from(hashKey, 'hex'),
    logLevel: String(v.LOG_LEVEL),
    logFile: v.LOG_FILE ? String(v.LOG_FILE) : undefined,
    tempLossTtlSeconds: Number(v.TEMP_LOSS_TTL_SECONDS),
    tempLossOnLapse: v.TEMP_LOSS_ON_LAPSE as Config['tempLossOnLapse'],
    partnerRateLimitPerMinute: Number(v.PARTNER_RATE_LIMIT_PER_MINUTE),
    publicRateLimitPerMinute: Number(v.PUBLIC_RATE_LIMIT_PER_MINUTE),
    uploadRetentionDays: Number(v.UPLOAD_RETENTION_DAYS),
    uploadDir: String(v.UPLOAD_DIR),
    dbPoolMax: Number(v.DB_POOL_MAX),
    trustProxy: v.TRUST_PROXY ? String(v.TRUST_PROXY) : false,
  });
}

/** Entry points (server, worker, CLI, scripts) read a local `.env` when there is one; tests never do. */
export function loadDotEnv(file = '.env'): void {
  try {
    process.loadEnvFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
