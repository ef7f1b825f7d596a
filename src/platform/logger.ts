import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { requestLogFields } from './request-context';

export type { Logger };

/**
 * Personal data and secrets never reach a log line. Requests are logged without bodies; these paths
 * catch anything that is passed to a logger by mistake.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  '*.idNumber',
  '*.*.idNumber',
  '*.phone',
  '*.*.phone',
  '*.token',
  '*.key',
  '*.authorization',
  'idNumber',
  'phone',
  'token',
  'key',
];

export function createLogger(options: {
  level: string;
  file?: string;
  name?: string;
  stdout?: boolean;
}): Logger {
  const streams: pino.StreamEntry[] = options.stdout === false ? [] : [{ stream: process.stdout }];
  if (options.file) {
    fs.mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
    streams.push({ stream: pino.destination({ dest: options.file, append: true, sync: true }) });
  }
  return pino(
    {
      level: options.level,
      name: options.name,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // every line written while a request is handled says which request, operator and role
      mixin: requestLogFields,
    },
    pino.multistream(streams),
  );
}
