import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { ulid } from 'ulid';
import {
  type RouteDecision,
  type RoutingDocument,
  type RoutingRule,
  defaultRoutingDocument,
  evaluateRoute,
} from '../lib/contract';
import {
  type AppConfigRoutingSource,
  RoutingDocumentInvalidError,
  type RoutingDocumentProblem,
  appConfigRoutingSource,
  validateRoutingDocument,
} from '../lib/sdk';
import { collectContext } from './arguments';
import type { CliClients } from './clients';
import { CliRoutingDocumentUnavailableError, EXIT_FAILURE } from './errors';
import { renderJson, renderTable } from './output';
import type { Platform } from './platform';
import { type CliSession, type TargetOptions, addJsonOption, addTargetOptions } from './program';

/** A routing document as read, before validation. */
export interface LoadedRoutingDocument {
  /** Where it came from, for people: a file path, `AppConfig <app>/<env>/<profile>`, or `embedded default`. */
  readonly source: string;
  /** The parsed JSON (not yet validated). */
  readonly raw: unknown;
}

async function readDocumentFile(file: string): Promise<LoadedRoutingDocument> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new CliRoutingDocumentUnavailableError(file, `cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause,
    });
  }
  try {
    return { source: file, raw: JSON.parse(text) as unknown };
  } catch (cause) {
    throw new CliRoutingDocumentUnavailableError(file, `is not valid JSON (${(cause as Error).message})`, { cause });
  }
}

/**
 * The AppConfig routing source of a deployed platform (one AppConfigData session), or undefined when the platform
 * reads its routing from a file or has no AppConfig profile. A long-lived caller (the console) creates it once and
 * passes it to {@link loadRoutingDocument} and {@link explainRoute}, so it polls within AppConfig's interval on one
 * session instead of opening a session per request.
 *
 * @example
 * const appConfig = appConfigRoutingSourceFor(platform, clients);
 * const loaded = await loadRoutingDocument(platform, clients, { appConfig });
 */
export function appConfigRoutingSourceFor(
  platform: Platform,
  clients: CliClients,
  options: { readonly now?: () => number } = {},
): AppConfigRoutingSource | undefined {
  if (platform.routingFile !== undefined || platform.appConfig === undefined) return undefined;
  return appConfigRoutingSource({
    client: clients.appConfigData,
    ...platform.appConfig,
    defaultQueue: platform.queues[0]?.name ?? 'default',
    logger: { info: () => undefined, warn: () => undefined },
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}

/** Options of {@link loadRoutingDocument} and {@link explainRoute}. */
export interface LoadRoutingOptions {
  /**
   * A long-lived AppConfig source ({@link appConfigRoutingSourceFor}) to read through, at most once per poll
   * interval. @default - a new session, polled now (a one-shot CLI command)
   */
  readonly appConfig?: AppConfigRoutingSource;
}

/**
 * Reads the platform's current routing document: the routing file of the local platform, the AppConfig profile of a
 * deployed one (a fresh AppConfigData session, or the given long-lived source), else the embedded default (every task
 * to the first queue).
 *
 * @throws CliRoutingDocumentUnavailableError when the file or AppConfig cannot be read.
 * @example
 * const { source, raw } = await loadRoutingDocument(platform, clients);
 */
export async function loadRoutingDocument(platform: Platform, clients: CliClients, options: LoadRoutingOptions = {}): Promise<LoadedRoutingDocument> {
  if (platform.routingFile !== undefined) return readDocumentFile(platform.routingFile);
  const defaultQueue = platform.queues[0]?.name ?? 'default';
  const given = options.appConfig;
  const source = given ?? appConfigRoutingSourceFor(platform, clients);
  if (source !== undefined) {
    const document = given === undefined ? await source.refresh() : await source.current();
    const state = source.describe();
    if (state.origin !== 'source') {
      throw new CliRoutingDocumentUnavailableError(state.source, `is not available: ${state.problem ?? state.origin}`);
    }
    return { source: state.source, raw: document };
  }
  return { source: 'embedded default (the platform has no routing file or AppConfig profile)', raw: defaultRoutingDocument(defaultQueue) };
}

/** Result of validating a routing document. */
export interface ValidationReport {
  readonly source: string;
  readonly valid: boolean;
  /** Every problem, each with its JSON pointer. */
  readonly problems: readonly RoutingDocumentProblem[];
  /** Destinations the document names that are not queues of the platform (must be registered custom destinations). */
  readonly customDestinations: readonly string[];
}

function destinationsOf(document: RoutingDocument): string[] {
  return [...new Set([document.defaultDestination, ...document.rules.map((rule) => rule.destination)])];
}

/**
 * Validates a loaded document with the SDK's `validateRoutingDocument` (the JSON Schema AppConfig uses plus semantic
 * checks) and lists the destinations that are not queues of the platform, when a platform is known.
 *
 * @example
 * const report = validateLoadedDocument(await readDocumentFile('routing.json'));
 */
export function validateLoadedDocument(loaded: LoadedRoutingDocument, platform?: Platform): ValidationReport {
  try {
    const document = validateRoutingDocument(loaded.raw, { source: loaded.source });
    const queues = new Set(platform?.queues.map((queue) => queue.name) ?? []);
    const customDestinations = platform === undefined ? [] : destinationsOf(document).filter((name) => !queues.has(name));
    return { source: loaded.source, valid: true, problems: [], customDestinations };
  } catch (error) {
    if (!(error instanceof RoutingDocumentInvalidError)) throw error;
    return { source: loaded.source, valid: false, problems: error.problems, customDestinations: [] };
  }
}

function renderValidation(report: ValidationReport, width?: number): string {
  if (!report.valid) {
    return (
      `${report.source}: INVALID, ${report.problems.length} problem(s)\n` +
      renderTable(
        ['path', 'problem'],
        report.problems.map((problem) => [problem.path, problem.message]),
        width,
      )
    );
  }
  const custom =
    report.customDestinations.length === 0
      ? ''
      : `custom destinations (not queues of this platform; the consumers must register them): ${report.customDestinations.join(', ')}\n`;
  return `${report.source}: valid\n${custom}`;
}

function describeRule(rule: RoutingRule): string {
  const parts = [
    rule.tasks === undefined ? undefined : `tasks ${rule.tasks.join(', ')}`,
    rule.regions === undefined ? undefined : `regions ${rule.regions.join(', ')}`,
    rule.context === undefined
      ? undefined
      : Object.entries(rule.context)
          .map(([key, values]) => `${key} in ${values.join('|')}`)
          .join(', '),
    rule.percentage === undefined ? undefined : `${rule.percentage} % by ${rule.hashKey ?? 'taskId'}`,
  ].filter((part): part is string => part !== undefined);
  return parts.length === 0 ? 'every task' : parts.join('; ');
}

function renderDocument(loaded: LoadedRoutingDocument, document: RoutingDocument, width?: number): string {
  const lines = [`routing document from ${loaded.source}`, `default destination: ${document.defaultDestination}`];
  if (document.killSwitch === true) lines.push('KILL SWITCH ON: publishing of every task is rejected');
  if (document.killed !== undefined && document.killed.length > 0) lines.push(`killed: ${document.killed.join(', ')}`);
  if (document.paused !== undefined && document.paused.length > 0) lines.push(`paused: ${document.paused.join(', ')}`);
  const rules =
    document.rules.length === 0
      ? 'no rules\n'
      : renderTable(
          ['#', 'rule', 'matches', 'destination', 'description'],
          document.rules.map((rule, index) => [index, rule.id, describeRule(rule), rule.destination, rule.description]),
          width,
        );
  return `${lines.join('\n')}\n${rules}`;
}

/** What `flags explain` reports. */
export interface Explanation {
  readonly source: string;
  readonly input: { readonly task: string; readonly taskId: string; readonly region?: string; readonly context: Record<string, string>; readonly dedupKey?: string };
  readonly decision: RouteDecision;
  /** The rule that decided, or `null` when the default destination applied. */
  readonly rule: RoutingRule | null;
}

/**
 * Explains where a task would go under the platform's current routing document, with the rule that decided.
 *
 * @example
 * const { decision, rule } = await explainRoute(platform, clients, { task: 'email.send', region: 'eu-west-1' });
 */
export async function explainRoute(
  platform: Platform,
  clients: CliClients,
  input: { task: string; taskId?: string; region?: string; context?: Record<string, string>; dedupKey?: string },
  options: LoadRoutingOptions = {},
): Promise<Explanation> {
  const loaded = await loadRoutingDocument(platform, clients, options);
  const document = validateRoutingDocument(loaded.raw, { source: loaded.source });
  const routeInput = {
    task: input.task,
    taskId: input.taskId ?? ulid(),
    context: input.context ?? {},
    ...(input.region === undefined ? {} : { region: input.region }),
    ...(input.dedupKey === undefined ? {} : { dedupKey: input.dedupKey }),
  };
  const decision = evaluateRoute(document, routeInput);
  const rule = decision.ruleId === null ? null : (document.rules.find((candidate) => candidate.id === decision.ruleId) ?? null);
  return { source: loaded.source, input: routeInput, decision, rule };
}

function renderExplanation(explanation: Explanation): string {
  const { decision, rule, input } = explanation;
  const lines = [
    `task ${input.task} (id ${input.taskId}${input.region === undefined ? '' : `, region ${input.region}`}) → ${decision.destination}`,
    `decided by: ${rule === null ? 'the default destination' : `rule ${rule.id} (${describeRule(rule)})`}`,
    `why: ${decision.reason}`,
  ];
  if (rule?.description !== undefined) lines.push(`rule description: ${rule.description}`);
  if (decision.paused) lines.push('paused: consumers hold the task without running it');
  if (decision.killed) lines.push('killed: publishing this task is rejected');
  if (rule?.percentage !== undefined && rule.percentage < 100) {
    lines.push(`note: a ${rule.percentage} % split depends on the ${rule.hashKey ?? 'taskId'}; pass --task-id/--dedup-key/--context to try others`);
  }
  return `${lines.join('\n')}\n`;
}

interface ExplainOptions extends TargetOptions {
  readonly context: Record<string, string>;
  readonly taskId?: string;
  readonly dedupKey?: string;
}

/**
 * Registers `bosun flags show|validate|explain`.
 *
 * @example
 * registerFlagsCommands(program, session);
 */
export function registerFlagsCommands(program: Command, session: CliSession): void {
  const flags = program.command('flags').description('Show, validate and explain the routing document (the routing flags).');
  addTargetOptions(flags.command('show').description('Print the current routing document: the routing file locally, AppConfig in AWS.')).action(
    async (options: TargetOptions) => {
      await session.withTarget(options, async ({ platform, clients, io, json }) => {
        const loaded = await loadRoutingDocument(platform, clients);
        const report = validateLoadedDocument(loaded, platform);
        if (json) io.write(renderJson({ source: loaded.source, valid: report.valid, problems: report.problems, document: loaded.raw }));
        else if (report.valid) io.write(renderDocument(loaded, loaded.raw as RoutingDocument, io.columns));
        else io.write(`${renderValidation(report, io.columns)}${renderJson(loaded.raw)}`);
        return report.valid ? 0 : EXIT_FAILURE;
      });
    },
  );
  addJsonOption(
    flags
      .command('validate')
      .description("Validate a routing document file (default: the platform's current document); exit 1 listing every problem.")
      .argument('[file]', 'routing document JSON file')
      .option('--data-dir <dir>', 'data directory of the local platform (when no file is given)')
      .option('--aws', 'validate the deployed stack\'s AppConfig document (when no file is given)', false)
      .option('--stage <stage>', 'stage of the deployed stack (with --aws)', 'dev')
      .option('--region <region>', 'AWS region of the stack (with --aws)')
      .option('--profile <profile>', 'AWS named profile (with --aws)'),
  ).action(async (file: string | undefined, options: TargetOptions) => {
    const write = (report: ValidationReport): number => {
      session.io.write(options.json === true ? renderJson(report) : renderValidation(report, session.io.columns));
      return report.valid ? 0 : EXIT_FAILURE;
    };
    if (file !== undefined) {
      session.exitCode = write(validateLoadedDocument(await readDocumentFile(file)));
      return;
    }
    await session.withTarget(options, async ({ platform, clients }) =>
      write(validateLoadedDocument(await loadRoutingDocument(platform, clients), platform)),
    );
  });
  addTargetOptions(
    flags
      .command('explain')
      .description('Explain where a task would be routed now, and which rule decided.')
      .argument('<task>', 'task name, for example email.send')
      .option('--context <key=value>', 'routing context attribute (repeatable)', collectContext, {})
      .option('--task-id <id>', 'task id to hash for percentage splits (default: a fresh ULID)')
      .option('--dedup-key <key>', 'deduplication key (for rules that hash it)'),
    "publisher's region to evaluate (and the stack's region with --aws); default: the platform's region",
  ).action(async (task: string, options: ExplainOptions) => {
    await session.withTarget(options, async ({ platform, clients, io, json }) => {
      const explanation = await explainRoute(platform, clients, {
        task,
        context: options.context,
        region: options.region ?? platform.region,
        ...(options.taskId === undefined ? {} : { taskId: options.taskId }),
        ...(options.dedupKey === undefined ? {} : { dedupKey: options.dedupKey }),
      });
      io.write(json ? renderJson(explanation) : renderExplanation(explanation));
    });
  });
}
