export { ClaimCheckBucket } from './claim-check-bucket';
export type { ClaimCheckBucketProps } from './claim-check-bucket';
export { CONSUMER_ARCHITECTURE, CONSUMER_BUNDLING, CONSUMER_RUNTIME } from './consumer-bundling';
export { ConstructPropsInvalidError } from './errors';
export { PlatformMonitoring } from './platform-monitoring';
export type { AlarmSeverity, PlatformMonitoringProps, QueueMonitoringOptions, SeverityThresholds } from './platform-monitoring';
export { findProjectRoot } from './project-root';
export { ROUTING_PROFILE_NAME, RoutingFlags } from './routing-flags';
export type { RoutingFlagsProps } from './routing-flags';
export { METRICS_NAMESPACE, TASK_TIME_LIMIT_SAFETY_MARGIN, TaskConsumer } from './task-consumer';
export type { ConsumerTask, ITaskConsumer, TaskConsumerProps } from './task-consumer';
export {
  DEFAULT_DLQ_RETENTION,
  DEFAULT_MAX_RECEIVE_COUNT,
  DEFAULT_QUEUE_RETENTION,
  TaskQueue,
  TaskQueueEncryption,
} from './task-queue';
export type { ITaskQueue, TaskQueueProps } from './task-queue';
export { DEFAULT_SCHEDULE_MAX_EVENT_AGE, DEFAULT_SCHEDULE_RETRY_ATTEMPTS, TaskSchedules } from './task-schedules';
export type { PeriodicTaskScheduleProps, TaskSchedulesProps } from './task-schedules';
export { TaskStateTable } from './task-state-table';
export type { TaskStateTableProps } from './task-state-table';
