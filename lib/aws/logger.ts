import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Where the SDK writes its few log lines (a flag source falling back, a best-effort cleanup that failed). A
 * Powertools `Logger` satisfies it; so does `console`.
 */
export interface SdkLogger {
  warn(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
}

let defaultLogger: SdkLogger | undefined;

/** The SDK's default logger: a Powertools JSON logger with service name `bosun-sdk` (created on first use). */
export function sdkDefaultLogger(): SdkLogger {
  if (defaultLogger === undefined) {
    const logger = new Logger({ serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? 'bosun-sdk' });
    defaultLogger = {
      warn: (message, attributes) => logger.warn(message, attributes ?? {}),
      info: (message, attributes) => logger.info(message, attributes ?? {}),
    };
  }
  return defaultLogger;
}
