export {
  DEFAULT_CONCURRENCY,
  DEFAULT_PAUSE_DELAY_SECONDS,
  DEFAULT_RELEASE_DELAY_SECONDS,
  DEFAULT_RESULT_INLINE_LIMIT_BYTES,
  DEFAULT_SAFETY_MARGIN_MS,
  RESULT_KEY_PREFIX,
  createTaskHandler,
} from './create-task-handler';
export type { CeleryIntakeOptions, ClaimCheckAccess, CreateTaskHandlerOptions, RuntimeClients, TaskSqsHandler } from './create-task-handler';
export { CeleryConfigError, CeleryMappingError, CeleryTaskMap } from '../celery';
export type { CeleryArguments, CeleryTaskMapping } from '../celery';
export {
  DEFAULT_BACKOFF_BASE_SECONDS,
  DEFAULT_BACKOFF_CAP_SECONDS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_TIME_LIMIT_SECONDS,
  backoffDelaySeconds,
  defineTask,
} from './define-task';
export type {
  BackoffOptions,
  StateTracking,
  TaskContext,
  TaskDefinition,
  TaskDefinitionInput,
  TaskHandler,
  TaskLogger,
  TaskOptions,
} from './define-task';
export {
  TaskDefinitionInvalidError,
  TaskHandlerConfigInvalidError,
  TaskNonRetryableError,
  TaskRuntimeError,
  TaskTimeLimitError,
} from './errors';
export { taskHandlerOptionsFromEnv } from './options-from-env';
export type { EnvTaskHandlerOptions } from './options-from-env';
export { TaskMetric } from './runtime-telemetry';
export { DEFAULT_STATE_TTL_SECONDS, TaskStateStore } from '../aws/task-state-store';
export type { AcquireResult, CloseResult, TaskStateStoreOptions } from '../aws/task-state-store';
