export { CLAIM_CHECK_PREFIX, ClaimCheckStore, measurePayload } from '../aws/claim-check';
export type { ClaimCheckStoreOptions } from '../aws/claim-check';
export { createAwsClients } from '../aws/clients';
export type { AwsClients, CreateAwsClientsOptions, StaticCredentials } from '../aws/clients';
export { CeleryConfigError, CeleryMappingError, CeleryTaskMap } from '../celery';
export type { CeleryArguments, CeleryTaskMapping } from '../celery';
export { celeryDestination, sqsForwardingDestination } from '../aws/destinations';
export type { CeleryDestinationOptions, ForwardedTaskMessage, SqsForwardingDestinationOptions } from '../aws/destinations';
export {
  AwsCallFailedError,
  ClaimCheckCorruptError,
  ClaimCheckMissingError,
  DestinationUnknownError,
  EtaTooFarError,
  LocalPlatformNotRunningError,
  PayloadInvalidError,
  PlatformStackNotFoundError,
  PayloadTooLargeError,
  PublishOutcomeUnknownError,
  RoutingDocumentInvalidError,
  SdkError,
  TaskClientConfigError,
  TaskKilledError,
  TaskUnknownError,
  TaskWaitTimeoutError,
} from './errors';
export type { RoutingDocumentProblem } from './errors';
export { sdkDefaultLogger } from '../aws/logger';
export type { SdkLogger } from '../aws/logger';
export {
  APPCONFIG_MIN_POLL_INTERVAL_SECONDS,
  appConfigRoutingSource,
  fileRoutingSource,
  routingSourceFromEnv,
  staticRoutingSource,
  validateRoutingDocument,
} from '../aws/routing-sources';
export type {
  AppConfigRoutingSource,
  AppConfigRoutingSourceOptions,
  DescribedRoutingSource,
  FileRoutingSourceOptions,
  RoutingSourceState,
  ValidateRoutingDocumentOptions,
} from '../aws/routing-sources';
export {
  localPlatformFile,
  processIsAlive,
  readLocalPlatformDescription,
  taskClientOptionsFromPlatform,
  taskClientOptionsFromStack,
} from './platform-options';
export type { LocalPlatformLocation } from './platform-options';
export { DEFAULT_STAGE, readStackOutputs } from '../aws/stack-outputs';
export type { DeployedStackOutputs, PlatformStackLocation } from '../aws/stack-outputs';
export {
  DEFAULT_LOCAL_DATA_DIR,
  LOCAL_CREDENTIALS,
  PLATFORM_FILE,
  PlatformDescriptionInvalidError,
  StackOutputsInvalidError,
  parseStackOutputs,
  platformStackName,
} from '../contract';
export type { PlatformStackOutputs } from '../contract';
export type { LocalPlatformDescription } from '../contract';
export { choosePayloadPlacement, chunkBySize, messageAttributeBytes } from './sizing';
export type { PayloadPlacement, PlacementInput } from './sizing';
export { dedupTaskId, newTaskId } from './task-id';
export { scheduleEta } from './schedule';
export type { EtaSchedule } from './schedule';
export { MAX_ETA_SECONDS } from '../contract';
export {
  DEFAULT_BATCH_RETRIES,
  DEFAULT_STATE_TTL_SECONDS,
  MAX_DEDUP_KEY_CHARS,
  createTaskClient,
  taskClientOptionsFromOutputs,
} from './task-client';
export type {
  CancelTaskResult,
  EtaScheduleOptions,
  ExplainContext,
  PublishBatchItem,
  PublishBatchOutcome,
  PublishBatchResult,
  PublishOptions,
  PublishResult,
  RouteExplanation,
  TaskClient,
  TaskClientAppConfigOptions,
  TaskClientOptions,
  WaitForTaskOptions,
} from './task-client';
