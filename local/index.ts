export { DEMO_DELAY_SECONDS, LARGE_PAYLOAD_BYTES, demoTasks, runDemo } from './demo';
export type { DemoResult, DemoTask, DemoTaskClient } from './demo';
export {
  LocalFunctionError,
  LocalFunctionTimeoutError,
  LocalOptionError,
  LocalPlatformError,
  LocalPlatformRunningError,
  LocalSynthError,
  LocalTemplateError,
} from './errors';
export { DEFAULT_LOCAL_CONCURRENCY, EventSourcePoller } from './event-source-poller';
export type { BatchOutcome, EventSourcePollerProps, MappingState, PollerStats } from './event-source-poller';
export { LocalLambdaApi, mappingUuid } from './lambda-api';
export type { LocalMapping } from './lambda-api';
export { IamGateway, accessKeyIdOf } from './iam/iam-gateway';
export type { GatewayCaller, IamDenial, IamGatewayOptions, ServiceEndpoints } from './iam/iam-gateway';
export { startLocalIam } from './iam/local-iam';
export type { ConsumerCallers, LocalIam, StartLocalIamOptions } from './iam/local-iam';
export { evaluatePolicies, matchesAction, matchesWildcard, parseConditionOperator } from './iam/policy-evaluator';
export type { ApplicablePolicies, AuthorizationRequest, ConditionContext, Decision, DecisionReason, PolicyStatement } from './iam/policy-evaluator';
export { dynamoDbPermissions, queueArnOfUrl, s3Permissions, serviceOfRequest, sqsPermissions } from './iam/request-permissions';
export type { ArnScope, GatewayService, RequestPermissions, RequiredPermission } from './iam/request-permissions';
export { SUPPORTED_CONDITION_KEYS, readTemplateIam } from './iam/template-iam';
export type { ResourcePolicy, RoleAccess, TemplateIam } from './iam/template-iam';
export { IntrinsicResolver, LOCAL_ACCOUNT_ID } from './intrinsics';
export type { CfnResource, CfnTemplate, LocalResourceValues, PseudoParameters } from './intrinsics';
export { LocalFunction } from './local-function';
export { addLocalPlatformOptions, localPlatformOptionsOf } from './local-platform-command';
export type { LocalFunctionProps } from './local-function';
export { DEFAULT_DATA_DIR, IAM_DENIAL_LOG, LOCAL_STAGE, PLATFORM_FILE, ROUTING_FILE, startLocalPlatform } from './local-platform';
export type { LocalConsumer, LocalPlatformDescription, LocalPlatformOptions, RunningLocalPlatform } from './local-platform';
export { REAL_CLOCK, LocalScheduler, acceleratedClock } from './local-scheduler';
export type { LocalFiring, LocalSchedule, LocalScheduleClock, LocalSchedulerOptions } from './local-scheduler';
export { parseLocalPlatformArgs } from './main';
export { PLATFORM_LOCK_FILE, acquirePlatformLock } from './platform-lock';
export type { PlatformLock } from './platform-lock';
export { readPlatformTemplate } from './platform-template';
export {
  ROUTING_IN_FORCE_FILE,
  ROUTING_REJECTED_FILE,
  ROUTING_WRITTEN_HASH_FILE,
  prepareRoutingFile,
  watchRoutingFile,
} from './routing-file';
export type { PreparedRoutingFile, RoutingFileWatch, WatchRoutingFileOptions } from './routing-file';
export type { PlatformTemplate, ScheduleDefinition } from './platform-template';
export { createPlatformTaskClient } from './platform-client';
export { demoResultsTable, runLocalPlatform } from './run-local-platform';
export type { RunLocalPlatformOptions } from './run-local-platform';
export { synthesizeApp } from './synthesize';
export type { SynthesizeOptions, SynthesizedStack } from './synthesize';
