/**
 * AWS adapters shared by the producer SDK, the consumer runtime and the CLI: the client factory, the claim-check
 * store, routing-document sources, custom destinations, the task-state store, and the errors they raise.
 * Nothing here imports the CDK.
 */
export { CLAIM_CHECK_PREFIX, ClaimCheckStore, measurePayload } from './claim-check';
export type { ClaimCheckStoreOptions } from './claim-check';
export { createAwsClients } from './clients';
export type { AwsClients, CreateAwsClientsOptions, StaticCredentials } from './clients';
export { celeryDestination, sqsForwardingDestination } from './destinations';
export type { CeleryDestinationOptions, ForwardedTaskMessage, SqsForwardingDestinationOptions } from './destinations';
export {
  AwsCallFailedError,
  ClaimCheckCorruptError,
  ClaimCheckMissingError,
  PlatformStackNotFoundError,
  RoutingDocumentInvalidError,
  SdkError,
} from './errors';
export type { RoutingDocumentProblem } from './errors';
export { sdkDefaultLogger } from './logger';
export { DEFAULT_STAGE, readStackOutputs } from './stack-outputs';
export type { DeployedStackOutputs, PlatformStackLocation } from './stack-outputs';
export type { SdkLogger } from './logger';
export {
  APPCONFIG_MIN_POLL_INTERVAL_SECONDS,
  appConfigRoutingSource,
  fileRoutingSource,
  routingSourceFromEnv,
  staticRoutingSource,
  validateRoutingDocument,
} from './routing-sources';
export type {
  AppConfigRoutingSource,
  AppConfigRoutingSourceOptions,
  DescribedRoutingSource,
  FileRoutingSourceOptions,
  RoutingSourceState,
  ValidateRoutingDocumentOptions,
} from './routing-sources';
export {
  DEFAULT_STATE_TTL_SECONDS,
  MAX_ERROR_MESSAGE_CHARS,
  TaskStateStore,
  errorRecord,
  leaseMessageId,
  leaseToken,
} from './task-state-store';
export type {
  AcquireInput,
  AcquireResult,
  CancelResult,
  CloseInput,
  CloseResult,
  CreateResult,
  ReburyInput,
  ReburyResult,
  ReopenResult,
  RunningTask,
  TaskIdentity,
  TaskStateStoreOptions,
} from './task-state-store';
