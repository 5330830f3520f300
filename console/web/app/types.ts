// The web app's names for the console API's types; console/server/api-types.ts is the one source of truth.
export type {
  DlqFilter,
  DlqListResponse as DlqListing,
  DlqMessageSummary as DlqMessage,
  FlagsExplainResponse as FlagsExplanation,
  FlagsResponse as FlagsDocument,
  FlagsValidateResponse as FlagsValidation,
  JobAccepted,
  JobStatus as Job,
  OverviewResponse as Overview,
  PayloadResponse as DlqPayload,
  PlatformResponse as PlatformInfo,
  QueueOverview,
  RoutingExplanation,
  ThroughputBucket,
  TaskResponse as TaskLookup,
} from '../../server/api-types';
