export { PlatformDefinitionInvalidError } from './errors';
export { DEFAULT_PLATFORM, QUEUE_NAME_PATTERN, validatePlatformDefinition } from './platform-definition';
export type { ConsumerDefinition, PlatformDefinition, QueueDefinition } from './platform-definition';
export { PROTECTED_STAGES, PlatformStack, STAGE_PATTERN } from './platform-stack';
export type { PlatformStackProps } from './platform-stack';
export { AppContext, RECOMMENDED_CONTEXT, createBosunApp } from './bosun-app';
export type { BosunApp } from './bosun-app';
