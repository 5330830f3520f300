import { BosunError } from './errors';

/** File the running local platform writes into its data directory, and removes when it stops. */
export const PLATFORM_FILE = 'platform.json';
/** Default data directory of the local platform, relative to the directory it was started in. */
export const DEFAULT_LOCAL_DATA_DIR = '.bosun/local';
/** The static credentials the local emulators accept (they check none; the AWS SDK needs some). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** Service endpoints of the local emulators. */
export interface LocalPlatformEndpoints {
  readonly sqs: string;
  readonly s3: string;
  readonly dynamodb: string;
  /**
   * The platform's Lambda event-source-mapping API (List/Get/UpdateEventSourceMapping), for `bosun pause`, `resume`
   * and `drain`. @default - none: a platform started before it existed
   */
  readonly lambda?: string;
  /** The local scheduler's API (EventBridge Scheduler's stand-in), when the platform serves one. */
  readonly scheduler?: string;
}

/**
 * The content of `<dataDir>/platform.json`: what the running local platform tells the CLI and the SDK
 * (`taskClientOptionsFromPlatform`) about itself. One schema, read by {@link parseLocalPlatformDescription}.
 */
export interface LocalPlatformDescription {
  readonly stage: string;
  readonly region: string;
  readonly endpoints: LocalPlatformEndpoints;
  /** The routing document file the consumers read: absolute, or relative to the folder of `platform.json`. */
  readonly routingFile?: string;
  /** The stack outputs, resolved to the local resources (keys from `StackOutput` and `queueOutputKey`). */
  readonly outputs: Readonly<Record<string, string>>;
  /** Process id of the platform. */
  readonly pid?: number;
  /**
   * The single-delay cap of ETA chains the platform's consumers were given (`--max-delay-seconds`), in seconds;
   * producers use the same. @default - 900, SQS's own limit
   */
  readonly maxDelaySeconds?: number;
  /**
   * Whether the platform enforces IAM on its consumers' calls, and the JSON-lines file (absolute) where it logs each
   * denied call. @default - not reported (a platform from before IAM enforcement)
   */
  readonly iam?: LocalPlatformIam;
}

/** IAM enforcement of a running local platform. */
export interface LocalPlatformIam {
  readonly enforced: boolean;
  /** The denial log, one JSON object per denied call, when enforced. */
  readonly denialLog?: string;
}

/**
 * A `platform.json` that is not a local platform description. `problem` says what is wrong, without the file's text.
 *
 * @example
 * catch (e) { if (e instanceof PlatformDescriptionInvalidError) console.log(e.source, e.problem) }
 */
export class PlatformDescriptionInvalidError extends BosunError {
  public override readonly name = 'PlatformDescriptionInvalidError';

  public constructor(
    /** Where the description came from, for example a file path. */
    public readonly source: string,
    /** What is wrong with it. */
    public readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${problem}`, options);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(record: Record<string, unknown>, field: string, source: string): string {
  const value = record[field];
  if (typeof value !== 'string' || value === '') {
    throw new PlatformDescriptionInvalidError(source, `field "${field}" must be a non-empty string (given ${typeof value})`);
  }
  return value;
}

function stringRecord(value: unknown, field: string, source: string): Record<string, string> {
  if (!isRecord(value)) {
    throw new PlatformDescriptionInvalidError(source, `field "${field}" must be an object of strings (given ${typeof value})`);
  }
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new PlatformDescriptionInvalidError(source, `field "${field}.${key}" must be a string (given ${typeof entry})`);
    }
    result[key] = entry;
  }
  return result;
}

/**
 * Reads a local platform description from the JSON text of a `platform.json`.
 *
 * @throws PlatformDescriptionInvalidError naming the field at fault.
 * @example
 * const description = parseLocalPlatformDescription(text, '/repo/.bosun/local/platform.json');
 */
export function parseLocalPlatformDescription(text: string, source: string): LocalPlatformDescription {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new PlatformDescriptionInvalidError(source, 'is not valid JSON; restart the local platform with `npm start`', { cause });
  }
  if (!isRecord(raw)) throw new PlatformDescriptionInvalidError(source, `must hold a JSON object (given ${typeof raw})`);
  const endpoints = stringRecord(raw['endpoints'], 'endpoints', source);
  const missingEndpoints = ['sqs', 's3', 'dynamodb'].filter((service) => endpoints[service] === undefined);
  if (missingEndpoints.length > 0) {
    throw new PlatformDescriptionInvalidError(source, `field "endpoints" lacks ${missingEndpoints.join(', ')}`);
  }
  const routingFile = raw['routingFile'];
  if (routingFile !== undefined && typeof routingFile !== 'string') {
    throw new PlatformDescriptionInvalidError(source, `field "routingFile" must be a string (given ${typeof routingFile})`);
  }
  const pid = raw['pid'];
  const maxDelaySeconds = raw['maxDelaySeconds'];
  if (maxDelaySeconds !== undefined && !(Number.isInteger(maxDelaySeconds) && (maxDelaySeconds as number) > 0)) {
    throw new PlatformDescriptionInvalidError(source, `field "maxDelaySeconds" must be a whole number of seconds above 0 (given ${JSON.stringify(maxDelaySeconds)})`);
  }
  const iam = raw['iam'];
  if (iam !== undefined && !(isRecord(iam) && typeof iam['enforced'] === 'boolean' && (iam['denialLog'] === undefined || typeof iam['denialLog'] === 'string'))) {
    throw new PlatformDescriptionInvalidError(source, 'field "iam" must be an object with a boolean "enforced" and an optional string "denialLog"');
  }
  return {
    stage: stringField(raw, 'stage', source),
    region: stringField(raw, 'region', source),
    endpoints: {
      sqs: endpoints['sqs']!,
      s3: endpoints['s3']!,
      dynamodb: endpoints['dynamodb']!,
      ...(endpoints['lambda'] === undefined ? {} : { lambda: endpoints['lambda'] }),
      ...(endpoints['scheduler'] === undefined ? {} : { scheduler: endpoints['scheduler'] }),
    },
    outputs: stringRecord(raw['outputs'], 'outputs', source),
    ...(routingFile === undefined ? {} : { routingFile }),
    ...(typeof pid === 'number' ? { pid } : {}),
    ...(maxDelaySeconds === undefined ? {} : { maxDelaySeconds: maxDelaySeconds as number }),
    ...(isRecord(iam)
      ? { iam: { enforced: iam['enforced'] === true, ...(typeof iam['denialLog'] === 'string' ? { denialLog: iam['denialLog'] } : {}) } }
      : {}),
  };
}
