export { DEAD_LETTER_ATTRIBUTES, DEAD_REASONS, MessageAttribute } from './attributes';
export type { DeadReason } from './attributes';
export { CONSUMER_AWS_ACCESS } from './consumer-access';
export type { ConsumerAwsAccess, DynamoDbAction, S3Action, S3BucketAccess, S3ObjectAccess, SqsAction } from './consumer-access';
export { PRODUCER_AWS_ACCESS } from './producer-access';
export { CONSOLE_AWS_ACCESS, QUEUE_MOVER_AWS_ACCESS, STACK_OUTPUTS_AWS_ACCESS, STATUS_AWS_ACCESS } from './operator-access';
export type {
  CloudFormationAction,
  CloudWatchAction,
  ConsoleAwsAccess,
  LambdaAction,
  QueueMoverAwsAccess,
  StatusAwsAccess,
} from './operator-access';
export type { AppConfigAction, ProducerAwsAccess, SchedulerAction } from './producer-access';
export { ENVELOPE_VERSION, SUPPORTED_ENVELOPE_VERSIONS, envelopeBytes, parseEnvelope, serializeEnvelope } from './envelope';
export type { ClaimCheckReference, PendingOutcome, RouteStamp, TaskEnvelope } from './envelope';
export { EnvVar, METRICS_NAMESPACE, requireEnv } from './env';
export type { EnvVarName } from './env';
export { BosunError, EnvelopeInvalidError } from './errors';
export type { EnvelopeProblem } from './errors';
export * as Limits from './limits';
export { StackOutput, StackOutputsInvalidError, parseStackOutputs, platformStackName, queueOutputKey } from './outputs';
export type { ParseStackOutputsOptions, PlatformStackOutputs, StackAppConfigIds, StackEtaSchedules, StackQueue } from './outputs';
export {
  DEFAULT_LOCAL_DATA_DIR,
  LOCAL_CREDENTIALS,
  PLATFORM_FILE,
  PlatformDescriptionInvalidError,
  parseLocalPlatformDescription,
} from './platform-description';
export type { LocalPlatformDescription, LocalPlatformEndpoints, LocalPlatformIam } from './platform-description';
export {
  PERCENTAGE_BUCKETS,
  ROUTING_DOCUMENT_SCHEMA,
  ROUTING_DOCUMENT_VERSION,
  defaultRoutingDocument,
  evaluateRoute,
  matchesGlob,
  percentageBucket,
} from './routing';
export type {
  CustomDelivery,
  CustomDestination,
  CustomDestinationEtaLimit,
  RouteDecision,
  RouteInput,
  RoutingDocument,
  RoutingDocumentSource,
  RoutingRule,
} from './routing';
export {
  CLAIM_CHECK_KEY_PREFIX,
  MAX_DEAD_LETTER_SECONDS,
  MAX_ETA_SECONDS,
  MIN_CLAIM_CHECK_RETENTION_SECONDS,
  TASK_RESULT_KEY_PREFIX,
  taskResultKey,
} from './storage';
export {
  ETA_SCHEDULE_NAME_PREFIX,
  PERIODIC_TASK_NAME_PATTERN,
  SCHEDULES_DLQ_NAME,
  SCHEDULE_INPUT_MAX_CHARS,
  ScheduleExpressionInvalidError,
  SchedulerContext,
  SchedulerDeadLetterAttribute,
  etaScheduleGroupName,
  etaScheduleName,
  parseScheduleExpression,
  periodicScheduleGroupName,
  periodicTaskId,
  periodicTaskInput,
  schedulesDeadLetterQueueName,
  substituteSchedulerContext,
} from './schedules';
export type { PeriodicTaskInputProps, ScheduleExpression, ScheduleFiring } from './schedules';
export { TASK_STATUSES, TERMINAL_STATUSES, isTerminalStatus } from './status';
export type { TaskStatus } from './status';
export { RUNNING_INDEX_SHARDS, TaskAttribute, TaskTable, runningShardKey, runningShardKeys } from './table';
export type { ResultNotStored, TaskAttributeName, TaskErrorRecord, TaskStateItem } from './table';
export { TASK_TRANSITIONS, TASK_TRANSITION_NAMES } from './transitions';
export type { TaskStateWriter, TaskTransition, TransitionGuard, TransitionRule, TransitionSource } from './transitions';
export { TASK_NAME_PATTERN } from './task';
export type { PayloadIssue, PayloadOf, PayloadParseResult, PayloadSchema, TaskDeclaration } from './task';
