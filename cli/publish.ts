import { type Command, Option } from 'commander';
import type { TaskDeclaration } from '../lib/contract';
import { type PublishOptions, type PublishResult, createTaskClient, taskClientOptionsFromOutputs } from '../lib/sdk';
import { exampleTasks } from '../lambdas/tasks';
import { collectContext, parseInstant, parseNonNegativeInteger, readPayloadArgument } from './arguments';
import type { CliClients } from './clients';
import { CliTaskUndeclaredError, CliUsageError } from './errors';
import { type Cell, renderFields, renderJson } from './output';
import type { Platform } from './platform';
import { type CliSession, type TargetOptions, addTargetOptions } from './program';
import { loadTaskModule } from './task-module';
import { withPlatformScheduler } from './schedules';

/** What `bosun publish` sends, besides the task name. */
export interface PublishInput {
  readonly task: string;
  readonly payload: unknown;
  readonly delaySeconds?: number;
  readonly eta?: string;
  readonly dedupKey?: string;
  readonly context?: Readonly<Record<string, string>>;
  readonly traceId?: string;
  /**
   * Validate the payload against the task's declaration before sending; a task without a declaration is refused.
   * @default true
   */
  readonly validate?: boolean;
  /**
   * The task declarations to validate against, and where they came from (a module the user named with `--tasks`).
   * @default - the example tasks ({@link DECLARED_TASKS})
   */
  readonly declarations?: { readonly tasks: readonly TaskDeclaration<unknown>[]; readonly source: string };
}

/** The task declarations `bosun publish` validates payloads against: the example tasks the platform's consumers run. */
export const DECLARED_TASKS: readonly TaskDeclaration<unknown>[] = exampleTasks;

/** What `bosun publish` reports: the SDK's publish result and the task name. */
export interface PublishReport extends PublishResult {
  readonly task: string;
}

/**
 * Publishes one task through the SDK's `createTaskClient`, configured from the platform's stack outputs (queues,
 * bucket, table, AppConfig ids, legacy queue, claim-check threshold) and, locally, its routing file. The payload is
 * validated against the task's declaration (`declarations`, by default {@link DECLARED_TASKS}) before anything is
 * sent; a task without a declaration is refused unless `validate` is false, and then a warning says the payload was
 * not checked.
 *
 * @throws CliTaskUndeclaredError when the task has no declaration and `validate` is not false.
 * @throws PayloadInvalidError when the payload does not match the task's schema (nothing is sent).
 * @example
 * const report = await publishTask(platform, clients, { task: 'email.send', payload: { to: 'a@example.com' } });
 */
export async function publishTask(
  platform: Platform,
  clients: CliClients,
  input: PublishInput,
  warn: (message: string) => void = () => undefined,
): Promise<PublishReport> {
  const declarations = input.declarations?.tasks ?? DECLARED_TASKS;
  const declared = declarations.some((task) => task.name === input.task);
  if (input.validate === false) {
    warn(
      `the payload of ${input.task} is not validated (--no-validate): a payload its consumer rejects, or a task no ` +
        'consumer runs, ends in the DLQ',
    );
  } else if (!declared) {
    throw new CliTaskUndeclaredError(
      input.task,
      declarations.map((task) => task.name),
      input.declarations?.source ?? 'the example tasks',
    );
  }
  // Far ETAs go to the platform's scheduler (the local one, or EventBridge Scheduler with --aws).
  const clientOptions = withPlatformScheduler(platform, taskClientOptionsFromOutputs(platform.outputs, {
    clients: { sqs: clients.sqs, s3: clients.s3, dynamodb: clients.dynamodb, appConfigData: clients.appConfigData },
    region: platform.region,
    ...(platform.routingFile === undefined ? {} : { routingFile: platform.routingFile }),
    logger: { info: () => undefined, warn },
    ...(input.validate === false ? {} : { tasks: declarations }),
  }));
  const client = createTaskClient(clientOptions);
  const options: PublishOptions = {
    ...(input.delaySeconds === undefined ? {} : { delaySeconds: input.delaySeconds }),
    ...(input.eta === undefined ? {} : { eta: input.eta }),
    ...(input.dedupKey === undefined ? {} : { dedupKey: input.dedupKey }),
    ...(input.context === undefined || Object.keys(input.context).length === 0 ? {} : { context: input.context }),
    ...(input.traceId === undefined ? {} : { traceId: input.traceId }),
  };
  try {
    const result = await client.publish(input.task as never, input.payload as never, options);
    return { task: input.task, ...result };
  } finally {
    clientOptions.etaSchedules?.client?.destroy();
  }
}

/**
 * Renders a publish report for people.
 *
 * @example
 * io.write(renderPublish(report, io.columns));
 */
export function renderPublish(report: PublishReport, width?: number): string {
  const fields: [string, Cell][] = [
    ['task', report.task],
    ['task id', report.taskId],
    ['route', `${report.destination} (${report.ruleId === null ? 'default destination' : `rule ${report.ruleId}`})`],
    ['status', report.status],
    ['payload', report.claimChecked ? 'in S3 (claim check)' : 'inline'],
  ];
  if (report.paused) fields.push(['paused', 'yes: consumers hold the task until the routing flags unpause it']);
  if (report.duplicate) {
    fields.push([
      'duplicate',
      report.resent
        ? 'yes: this dedup key was already published and no consumer has touched the task yet, so its message was sent again (it runs once)'
        : 'yes: this dedup key was already published; nothing was sent',
    ]);
  }
  return renderFields(fields, width);
}

interface PublishCommandOptions extends TargetOptions {
  readonly payload: string;
  readonly delay?: number;
  readonly eta?: string;
  readonly dedupKey?: string;
  readonly context: Record<string, string>;
  readonly traceId?: string;
  readonly validate: boolean;
  readonly tasks?: string;
}

/**
 * Registers `bosun publish <task>`.
 *
 * @example
 * registerPublishCommand(program, session);
 */
export function registerPublishCommand(program: Command, session: CliSession): void {
  addTargetOptions(
    program
      .command('publish')
      .description('Publish one task through the producer SDK; prints the task id and its route.')
      .argument('<task>', 'task name, for example email.send')
      .requiredOption('--payload <json|@file>', "the task's payload: inline JSON, or @path to a JSON file")
      .addOption(
        new Option('--delay <seconds>', 'run no earlier than this many seconds from now')
          .argParser(parseNonNegativeInteger)
          .conflicts('eta'),
      )
      .addOption(new Option('--eta <iso>', 'run no earlier than this time (ISO-8601 with a zone)').argParser(parseInstant))
      .option('--dedup-key <key>', 'deduplication key: the same task and key publish once')
      .option('--context <key=value>', 'routing context attribute (repeatable)', collectContext, {})
      .option('--trace-id <id>', 'trace id to propagate')
      .option(
        '--tasks <module>',
        'validate against the tasks this module exports (defineTask results, or arrays of them): .js, .cjs, .mjs, or .ts with tsx installed; default: the example tasks',
      )
      .option(
        '--no-validate',
        "publish without checking the payload against the task's declaration (for a task no module you have declares)",
      ),
  ).action(async (task: string, options: PublishCommandOptions) => {
    const payload = await readPayloadArgument(options.payload);
    if (options.tasks !== undefined && !options.validate) {
      throw new CliUsageError('--tasks', 'cannot be used with --no-validate: the module is read only to validate the payload');
    }
    const module = options.tasks === undefined ? undefined : loadTaskModule(options.tasks);
    await session.withTarget(options, async ({ platform, clients, io, json }) => {
      const report = await publishTask(platform, clients, {
        task,
        payload,
        context: options.context,
        validate: options.validate,
        ...(module === undefined ? {} : { declarations: { tasks: module.tasks, source: options.tasks! } }),
        ...(options.delay === undefined ? {} : { delaySeconds: options.delay }),
        ...(options.eta === undefined ? {} : { eta: options.eta }),
        ...(options.dedupKey === undefined ? {} : { dedupKey: options.dedupKey }),
        ...(options.traceId === undefined ? {} : { traceId: options.traceId }),
      }, (message) => io.error(`warning: ${message}\n`));
      io.write(json ? renderJson(report) : renderPublish(report, io.columns));
    });
  });
}
