import type { TaskEnvelope } from '../../lib/contract';

/** A valid envelope with sensible defaults, for tests that need one message body. */
export function anEnvelope(overrides: Partial<TaskEnvelope> = {}): TaskEnvelope {
  return {
    v: 1,
    id: '01JD7X3Q4J8ZP7N3R5W6Y9K2M4',
    task: 'email.send',
    payload: { to: 'someone@example.com' },
    attempts: 0,
    route: { destination: 'default', ruleId: null },
    publishedAt: '2026-01-31T10:00:00.000Z',
    ...overrides,
  };
}

/** Stack outputs of a deployed `Bosun-dev` stack in eu-west-1, keyed as the platform stack writes them. */
export const AWS_STACK_OUTPUTS = {
  QueueNames: '["default","bulk"]',
  TaskStateTableName: 'bosun-dev-tasks',
  ClaimCheckBucketName: 'bosun-dev-claims',
  DefaultQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/bosun-dev-default',
  DefaultDlqUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/bosun-dev-default-dlq',
  BulkQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/bosun-dev-bulk',
  BulkDlqUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/bosun-dev-bulk-dlq',
  RoutingApplicationId: 'app1234',
  RoutingEnvironmentId: 'env5678',
  RoutingProfileId: 'prof9012',
  LegacyQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/bosun-dev-legacy-inbox',
  Stage: 'dev',
} as const;
