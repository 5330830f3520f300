import { type AppConfigDataClient, GetLatestConfigurationCommand, StartConfigurationSessionCommand } from '@aws-sdk/client-appconfigdata';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv-draft-04';
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import {
  EnvVar,
  ROUTING_DOCUMENT_SCHEMA,
  type RoutingDocument,
  type RoutingDocumentSource,
  defaultRoutingDocument,
} from '../contract';
import { type AwsClients, createAwsClients } from './clients';
import { RoutingDocumentInvalidError, type RoutingDocumentProblem } from './errors';
import { type SdkLogger, sdkDefaultLogger } from './logger';

let compiled: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  // multipleOfPrecision: 0.07 / 0.01 is 7.000000000000001 in binary floating point; without it ajv would reject
  // percentages that AppConfig's validator accepts.
  compiled ??= new Ajv({ allErrors: true, strict: false, multipleOfPrecision: 9, verbose: true }).compile(ROUTING_DOCUMENT_SCHEMA);
  return compiled;
}

/** The offending value, for the message: scalars as JSON (long strings shortened), anything else by its type. */
function given(data: unknown): string {
  if (data === null || typeof data === 'number' || typeof data === 'boolean') return ` (given ${JSON.stringify(data)})`;
  if (typeof data === 'string') return ` (given ${JSON.stringify(data.length > 60 ? `${data.slice(0, 60)}…` : data)})`;
  return ` (given ${Array.isArray(data) ? 'an array' : typeof data})`;
}

function describeAjvError(error: ErrorObject): RoutingDocumentProblem {
  const at = error.instancePath === '' ? '/' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: at, message: `must have property "${String(params['missingProperty'])}"` };
    case 'additionalProperties':
      return { path: at, message: `has unknown property "${String(params['additionalProperty'])}"` };
    case 'enum':
      return { path: at, message: `must be one of ${JSON.stringify(params['allowedValues'])}${given(error.data)}` };
    default:
      return { path: at, message: `${error.message ?? `fails "${error.keyword}"`}${given(error.data)}` };
  }
}

/** Options of {@link validateRoutingDocument}. */
export interface ValidateRoutingDocumentOptions {
  /**
   * Every destination the document may name (Bosun queues and registered custom destinations). When given, a
   * document naming anything else is invalid.
   * @default - destination names are not checked
   */
  readonly destinations?: readonly string[];
  /** Where the document came from, named in the error message (a file path, "AppConfig"). @default - not named */
  readonly source?: string;
}

/**
 * Validates a routing document against the contract's JSON Schema (draft-04, the one AppConfig validates with) and
 * the checks a schema cannot express: unique rule ids, no rule hidden behind a catch-all rule, and (optionally)
 * known destinations.
 *
 * @throws RoutingDocumentInvalidError listing every problem with its JSON pointer.
 * @example
 * const doc = validateRoutingDocument(JSON.parse(text), { destinations: ['default', 'bulk', 'legacy'] });
 */
export function validateRoutingDocument(doc: unknown, options: ValidateRoutingDocumentOptions = {}): RoutingDocument {
  const validate = schemaValidator();
  const sourceOption = options.source === undefined ? {} : { source: options.source };
  if (!validate(doc)) {
    throw new RoutingDocumentInvalidError((validate.errors ?? []).map(describeAjvError), sourceOption);
  }
  const document = doc as RoutingDocument;
  const problems: RoutingDocumentProblem[] = [];
  const firstIndexOfId = new Map<string, number>();
  let catchAll: number | undefined;
  document.rules.forEach((rule, index) => {
    const first = firstIndexOfId.get(rule.id);
    if (first === undefined) firstIndexOfId.set(rule.id, index);
    else problems.push({ path: `/rules/${index}/id`, message: `duplicates the id "${rule.id}" of /rules/${first}` });
    if (catchAll !== undefined) {
      problems.push({
        path: `/rules/${index}`,
        message: `can never match: rule /rules/${catchAll} before it matches every task at 100 %`,
      });
    }
    const unconditional = rule.tasks === undefined && rule.regions === undefined && rule.context === undefined;
    if (catchAll === undefined && unconditional && (rule.percentage ?? 100) >= 100) catchAll = index;
  });
  if (options.destinations !== undefined) {
    const known = new Set(options.destinations);
    const allowed = `known destinations: ${options.destinations.join(', ')}`;
    if (!known.has(document.defaultDestination)) {
      problems.push({ path: '/defaultDestination', message: `names unknown destination "${document.defaultDestination}" (${allowed})` });
    }
    document.rules.forEach((rule, index) => {
      if (!known.has(rule.destination)) {
        problems.push({ path: `/rules/${index}/destination`, message: `names unknown destination "${rule.destination}" (${allowed})` });
      }
    });
  }
  if (problems.length > 0) throw new RoutingDocumentInvalidError(problems, sourceOption);
  return document;
}

/** A routing source that can also say where its current document came from. */
export interface DescribedRoutingSource extends RoutingDocumentSource {
  /** Where the document `current()` last returned came from. */
  describe(): RoutingSourceState;
}

/** Where a source's current document came from. */
export interface RoutingSourceState {
  /** `source`: the configured source; `last-known-good`: an older document after a failure; `default`: the embedded default. */
  readonly origin: 'source' | 'last-known-good' | 'default';
  /** The source, for people: `static`, a file path, or `AppConfig <app>/<env>/<profile>`. */
  readonly source: string;
  /** Why the source is not used right now, if it is not. */
  readonly problem?: string;
}

/**
 * A source that always returns the same document (validated once, here).
 *
 * @example
 * const routing = staticRoutingSource({ version: 1, defaultDestination: 'default', rules: [] });
 */
export function staticRoutingSource(doc: RoutingDocument): DescribedRoutingSource {
  const document = validateRoutingDocument(doc, { source: 'static document' });
  const resolved = Promise.resolve(document);
  return { current: () => resolved, describe: () => ({ origin: 'source', source: 'static' }) };
}

/**
 * Keeps the last known good document and the fallback bookkeeping shared by the file and AppConfig sources:
 * one warning when the source starts failing, one info line when it recovers, nothing per call.
 */
class FallbackTracker {
  private lastGood: RoutingDocument | undefined;
  private failing: string | undefined;

  public constructor(
    private readonly source: string,
    private readonly fallback: RoutingDocument,
    private readonly logger: SdkLogger,
  ) {}

  public accept(document: RoutingDocument): void {
    this.lastGood = document;
    if (this.failing !== undefined) {
      this.logger.info(`routing document from ${this.source} is valid again; using it`, { source: this.source });
      this.failing = undefined;
    }
  }

  public fail(problem: string): void {
    if (this.failing === undefined) {
      const using =
        this.lastGood === undefined
          ? `the embedded default document (every task to "${this.fallback.defaultDestination}")`
          : 'the last known good document';
      this.logger.warn(`routing document from ${this.source} is unusable (${problem}); publishing continues with ${using}`, {
        source: this.source,
      });
    }
    this.failing = problem;
  }

  public current(): RoutingDocument {
    return this.lastGood ?? this.fallback;
  }

  public state(): RoutingSourceState {
    const origin = this.failing === undefined ? 'source' : this.lastGood === undefined ? 'default' : 'last-known-good';
    return {
      origin: this.lastGood === undefined && this.failing === undefined ? 'default' : origin,
      source: this.source,
      ...(this.failing === undefined ? {} : { problem: this.failing }),
    };
  }
}

function problemOf(error: unknown): string {
  if (error instanceof RoutingDocumentInvalidError) return error.message;
  if (error instanceof SyntaxError) return `not valid JSON: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Options of {@link fileRoutingSource}. */
export interface FileRoutingSourceOptions {
  /** Queue the embedded default document sends everything to, used until the file is readable. @default default */
  readonly defaultQueue?: string;
  /** How often `current()` may check the file for changes, in milliseconds. @default 500 */
  readonly checkIntervalMs?: number;
  /** Destinations the document may name; see {@link ValidateRoutingDocumentOptions.destinations}. @default - not checked */
  readonly destinations?: readonly string[];
  /** Where the fallback and recovery lines go. @default - a Powertools logger */
  readonly logger?: SdkLogger;
}

/**
 * A routing document read from a JSON file (the local platform's flags), reloaded when the file changes (its
 * modification time or size, checked at most every `checkIntervalMs`). A broken edit keeps the last known good
 * document and logs one line; fixing the file applies it.
 *
 * @example
 * const routing = fileRoutingSource('.bosun/local/routing.json');
 * const doc = await routing.current();
 */
export function fileRoutingSource(filePath: string, options: FileRoutingSourceOptions = {}): DescribedRoutingSource {
  const absolute = path.resolve(filePath);
  const checkIntervalMs = options.checkIntervalMs ?? 500;
  const tracker = new FallbackTracker(
    absolute,
    defaultRoutingDocument(options.defaultQueue ?? 'default'),
    options.logger ?? sdkDefaultLogger(),
  );
  let lastCheckMs = Number.NEGATIVE_INFINITY;
  let lastSignature: string | undefined;
  let inFlight: Promise<void> | undefined;

  const check = async (): Promise<void> => {
    try {
      const info = await stat(absolute);
      const signature = `${info.mtimeMs}:${info.size}:${info.ino}`;
      if (signature === lastSignature) return;
      lastSignature = signature;
      const text = await readFile(absolute, 'utf8');
      const parsed: unknown = JSON.parse(text);
      tracker.accept(
        validateRoutingDocument(parsed, {
          source: absolute,
          ...(options.destinations === undefined ? {} : { destinations: options.destinations }),
        }),
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') lastSignature = undefined;
      tracker.fail(problemOf(error));
    }
  };

  return {
    async current(): Promise<RoutingDocument> {
      const now = Date.now();
      if (now - lastCheckMs >= checkIntervalMs) {
        lastCheckMs = now;
        inFlight ??= check().finally(() => {
          inFlight = undefined;
        });
      }
      if (inFlight !== undefined) await inFlight;
      return tracker.current();
    },
    describe: () => tracker.state(),
  };
}

/** AppConfigData's smallest allowed `RequiredMinimumPollIntervalInSeconds`. */
export const APPCONFIG_MIN_POLL_INTERVAL_SECONDS = 15;

/** Options of {@link appConfigRoutingSource}. */
export interface AppConfigRoutingSourceOptions {
  /** AppConfigData client (share one per process). */
  readonly client: AppConfigDataClient;
  /** AppConfig application id (or name). */
  readonly applicationId: string;
  /** AppConfig environment id (or name). */
  readonly environmentId: string;
  /** Configuration profile id (or name) of the routing document. */
  readonly profileId: string;
  /**
   * Shortest interval between polls, sent as `RequiredMinimumPollIntervalInSeconds`; the service's own
   * `NextPollIntervalInSeconds` is respected when longer. 15 – 86400.
   * @default 30
   */
  readonly pollIntervalSeconds?: number;
  /** Queue the embedded default document sends everything to, used until a first document arrives. @default default */
  readonly defaultQueue?: string;
  /** Destinations the document may name; see {@link ValidateRoutingDocumentOptions.destinations}. @default - not checked */
  readonly destinations?: readonly string[];
  /** Where the fallback and recovery lines go. @default - a Powertools logger */
  readonly logger?: SdkLogger;
  /** Clock in epoch milliseconds (tests). @default Date.now */
  readonly now?: () => number;
}

/** An AppConfig routing source; `refresh()` polls now, regardless of the interval (the CLI's `flags show`). */
export interface AppConfigRoutingSource extends DescribedRoutingSource {
  refresh(): Promise<RoutingDocument>;
}

/**
 * The routing document from AppConfig through AppConfigData: one configuration session per source (create the source
 * once per process), each single-use `NextPollConfigurationToken` used exactly once, no poll before the interval the
 * service asked for, and an empty body read as "unchanged". When AppConfig is unreachable or serves an invalid
 * document, publishing goes on with the last known good document, else the embedded default, and one log line says
 * so. A failed call drops the token and starts a new session at the next poll, after the interval.
 *
 * @example
 * const routing = appConfigRoutingSource({
 *   client: createAwsClients().appConfigData,
 *   applicationId: 'abc1234', environmentId: 'def5678', profileId: 'ghi9012',
 * });
 */
export function appConfigRoutingSource(options: AppConfigRoutingSourceOptions): AppConfigRoutingSource {
  const pollIntervalSeconds = options.pollIntervalSeconds ?? 30;
  if (!Number.isInteger(pollIntervalSeconds) || pollIntervalSeconds < APPCONFIG_MIN_POLL_INTERVAL_SECONDS || pollIntervalSeconds > 86_400) {
    throw new RangeError(`pollIntervalSeconds must be an integer between 15 and 86400 (given ${pollIntervalSeconds})`);
  }
  const now = options.now ?? Date.now;
  const label = `AppConfig ${options.applicationId}/${options.environmentId}/${options.profileId}`;
  const tracker = new FallbackTracker(
    label,
    defaultRoutingDocument(options.defaultQueue ?? 'default'),
    options.logger ?? sdkDefaultLogger(),
  );
  let token: string | undefined;
  let nextPollAtMs = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | undefined;

  const poll = async (): Promise<void> => {
    let intervalSeconds = pollIntervalSeconds;
    try {
      if (token === undefined) {
        const session = await options.client.send(
          new StartConfigurationSessionCommand({
            ApplicationIdentifier: options.applicationId,
            EnvironmentIdentifier: options.environmentId,
            ConfigurationProfileIdentifier: options.profileId,
            RequiredMinimumPollIntervalInSeconds: pollIntervalSeconds,
          }),
        );
        token = session.InitialConfigurationToken;
        if (token === undefined) throw new Error('StartConfigurationSession returned no InitialConfigurationToken');
      }
      const used = token;
      // The token is single-use: forget it before the call, so a failure never reuses a spent token.
      token = undefined;
      const response = await options.client.send(new GetLatestConfigurationCommand({ ConfigurationToken: used }));
      token = response.NextPollConfigurationToken;
      intervalSeconds = Math.max(response.NextPollIntervalInSeconds ?? pollIntervalSeconds, 1);
      // An empty body means "unchanged since this session's last document" (the SDK hands it over as null).
      const body = response.Configuration as Uint8Array | null | undefined;
      if (body === undefined || body === null || body.length === 0) {
        if (tracker.state().origin === 'default' && tracker.state().problem === undefined) {
          tracker.fail('AppConfig has not served a document in this session yet');
        }
        return;
      }
      const parsed: unknown = JSON.parse(Buffer.from(body).toString('utf8'));
      tracker.accept(
        validateRoutingDocument(parsed, {
          source: label,
          ...(options.destinations === undefined ? {} : { destinations: options.destinations }),
        }),
      );
    } catch (error) {
      tracker.fail(problemOf(error));
    } finally {
      nextPollAtMs = now() + intervalSeconds * 1000;
    }
  };

  const pollOnce = async (): Promise<void> => {
    inFlight ??= poll().finally(() => {
      inFlight = undefined;
    });
    await inFlight;
  };

  return {
    async current(): Promise<RoutingDocument> {
      if (now() >= nextPollAtMs) await pollOnce();
      else if (inFlight !== undefined) await inFlight;
      return tracker.current();
    },
    async refresh(): Promise<RoutingDocument> {
      await pollOnce();
      return tracker.current();
    },
    describe: () => tracker.state(),
  };
}

const fromEnvCache = new Map<string, DescribedRoutingSource>();

/**
 * The routing source a process's environment configures: `BOSUN_ROUTING_FILE` if set, else AppConfig when
 * `BOSUN_APPCONFIG_APPLICATION_ID`, `…_ENVIRONMENT_ID` and `…_PROFILE_ID` are all set, else the embedded default
 * (every task to `BOSUN_QUEUE_NAME`, or `default`). The same environment always returns the same source, so an
 * AppConfig session is opened once per process however often this is called.
 *
 * @example
 * const routing = routingSourceFromEnv();
 * const decision = evaluateRoute(await routing.current(), { task: 'email.send', taskId });
 */
export function routingSourceFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  clients?: Pick<AwsClients, 'appConfigData'>,
): DescribedRoutingSource {
  const defaultQueue = env[EnvVar.QUEUE_NAME] || 'default';
  const file = env[EnvVar.ROUTING_FILE];
  const applicationId = env[EnvVar.APPCONFIG_APPLICATION_ID];
  const environmentId = env[EnvVar.APPCONFIG_ENVIRONMENT_ID];
  const profileId = env[EnvVar.APPCONFIG_PROFILE_ID];
  const useFile = file !== undefined && file !== '';
  const useAppConfig = !useFile && Boolean(applicationId) && Boolean(environmentId) && Boolean(profileId);
  const key = JSON.stringify(
    useFile ? ['file', path.resolve(file), defaultQueue] : useAppConfig ? ['appconfig', applicationId, environmentId, profileId, defaultQueue] : ['default', defaultQueue],
  );
  const cached = fromEnvCache.get(key);
  if (cached !== undefined) return cached;
  let source: DescribedRoutingSource;
  if (useFile) {
    source = fileRoutingSource(file, { defaultQueue });
  } else if (useAppConfig) {
    source = appConfigRoutingSource({
      client: (clients ?? createAwsClients({ env })).appConfigData,
      applicationId: applicationId as string,
      environmentId: environmentId as string,
      profileId: profileId as string,
      defaultQueue,
    });
  } else {
    const document = defaultRoutingDocument(defaultQueue);
    const resolved = Promise.resolve(document);
    source = { current: () => resolved, describe: () => ({ origin: 'default', source: 'embedded default' }) };
  }
  fromEnvCache.set(key, source);
  return source;
}
