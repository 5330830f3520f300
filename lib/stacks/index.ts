export { PlatformDefinitionInvalidError } from './errors';
export {
  DEFAULT_PLATFORM,
  QUEUE_NAME_PATTERN,
  periodicTask,
  periodicTaskQueue,
  validatePlatformDefinition,
} from './platform-definition';
export type { ConsumerDefinition, PeriodicTaskDefinition, PlatformDefinition, QueueDefinition } from './platform-definition';
export { PROTECTED_STAGES, PlatformStack, STAGE_PATTERN } from './platform-stack';
export type { PlatformStackProps } from './platform-stack';
export { AppContext, createBosunApp } from './bosun-app';
export { RECOMMENDED_CONTEXT } from './recommended-context';
export type { BosunApp } from './bosun-app';
