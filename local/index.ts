export { DEMO_DELAY_SECONDS, LARGE_PAYLOAD_BYTES, demoTasks, runDemo } from './demo';
export type { DemoResult, DemoTask, DemoTaskClient } from './demo';
export {
  LocalFunctionError,
  LocalFunctionTimeoutError,
  LocalOptionError,
  LocalPlatformError,
  LocalSynthError,
  LocalTemplateError,
} from './errors';
export { DEFAULT_LOCAL_CONCURRENCY, EventSourcePoller } from './event-source-poller';
export type { BatchOutcome, EventSourcePollerProps, PollerStats } from './event-source-poller';
export { IntrinsicResolver, LOCAL_ACCOUNT_ID } from './intrinsics';
export type { CfnResource, CfnTemplate, LocalResourceValues, PseudoParameters } from './intrinsics';
export { LocalFunction } from './local-function';
export type { LocalFunctionProps } from './local-function';
export { DEFAULT_DATA_DIR, LOCAL_STAGE, PLATFORM_FILE, ROUTING_FILE, startLocalPlatform } from './local-platform';
export type { LocalConsumer, LocalPlatformDescription, LocalPlatformOptions, RunningLocalPlatform } from './local-platform';
export { REAL_CLOCK, LocalScheduler, acceleratedClock } from './local-scheduler';
export type { LocalFiring, LocalSchedule, LocalScheduleClock, LocalSchedulerOptions } from './local-scheduler';
export { parseLocalPlatformArgs } from './main';
export { readPlatformTemplate } from './platform-template';
export type { PlatformTemplate, ScheduleDefinition } from './platform-template';
export { createPlatformTaskClient } from './platform-client';
export { demoResultsTable, runLocalPlatform } from './run-local-platform';
export type { RunLocalPlatformOptions } from './run-local-platform';
export { synthesizeApp } from './synthesize';
export type { SynthesizeOptions, SynthesizedStack } from './synthesize';
