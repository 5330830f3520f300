/**
 * The Celery bridge: the Celery task message codec (protocol 2 out; protocols 2 and 1 in), the Bosun ↔ Celery task
 * mapping, and the errors they raise. Used by `celeryDestination` (Bosun → Celery), the runtime's Celery intake
 * (Celery → Bosun) and `bosun move --transform celery`. Imports no AWS SDK and no CDK.
 */
export { CELERY_JSON_CONTENT_TYPE, MAX_DECOMPRESSED_BYTES, decodeCeleryMessage, encodeCeleryMessage } from './codec';
export type { CeleryOutgoingTask, CeleryTaskMessage } from './codec';
export { CeleryConfigError, CeleryMappingError, CeleryMessageError, CeleryTaskExpiredError } from './errors';
export { celeryTaskEnvelope } from './celery-envelope';
export type { CeleryEnvelopeContext } from './celery-envelope';
export type { CeleryMessageProblem } from './errors';
export { KOMBU_TYPED_VALUES, fromKombuJson } from './kombu-json';
export { CeleryTaskMap } from './task-mapping';
export type { CeleryArguments, CeleryTaskMapping } from './task-mapping';
