// Limits of SQS that fauxqs does not enforce, enforced in front of its handlers so the local platform refuses what AWS
// refuses: a per-message DelaySeconds above 900 and more than 10 message attributes (fauxqs accepts both; AWS answers
// InvalidParameterValue). fauxqs already enforces the 1 MiB message and batch sizes and the 10 entries of a batch.
// Only the JSON protocol (X-Amz-Target: AmazonSQS.*) is checked: it is the one the AWS SDK v3 speaks.

const SQS_MAX_DELAY_SECONDS = 900;
const SQS_MAX_MESSAGE_ATTRIBUTES = 10;
const CODE = 'InvalidParameterValue';

/** Why SQS would refuse one message (a SendMessage request or a SendMessageBatch entry), or undefined. */
export function sqsLimitProblem(message) {
  const delay = message?.DelaySeconds;
  if (delay !== undefined && (typeof delay !== 'number' || delay < 0 || delay > SQS_MAX_DELAY_SECONDS)) {
    return `Value ${delay} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= ${SQS_MAX_DELAY_SECONDS}.`;
  }
  const attributes = Object.keys(message?.MessageAttributes ?? {}).length;
  if (attributes > SQS_MAX_MESSAGE_ATTRIBUTES) {
    return `Number of message attributes [${attributes}] exceeds the allowed maximum [${SQS_MAX_MESSAGE_ATTRIBUTES}].`;
  }
  return undefined;
}

/**
 * Adds the checks to a fauxqs Fastify app (before it listens). A SendMessage over a limit is answered with the error
 * SQS gives; the entries of a SendMessageBatch over a limit are reported in `Failed` (as fauxqs reports an over-size
 * entry) and the others are sent.
 */
export function enforceSqsLimits(app) {
  const failedEntries = new WeakMap();
  app.addHook('preHandler', async (request, reply) => {
    const target = request.headers['x-amz-target'];
    const body = request.body;
    if (target === 'AmazonSQS.SendMessage') {
      const problem = sqsLimitProblem(body);
      if (problem === undefined) return;
      reply
        .code(400)
        .header('content-type', 'application/x-amz-json-1.0')
        .header('x-amzn-query-error', `AWS.SimpleQueueService.${CODE};Sender`);
      return reply.send({ __type: `com.amazonaws.sqs#${CODE}`, message: problem });
    }
    if (target === 'AmazonSQS.SendMessageBatch' && Array.isArray(body?.Entries)) {
      const failed = [];
      const kept = [];
      for (const entry of body.Entries) {
        const problem = sqsLimitProblem(entry);
        if (problem === undefined) kept.push(entry);
        else failed.push({ Id: entry.Id, SenderFault: true, Code: CODE, Message: problem });
      }
      if (failed.length === 0) return;
      if (kept.length === 0) {
        reply.header('content-type', 'application/x-amz-json-1.0');
        return reply.send({ Successful: [], Failed: failed });
      }
      body.Entries = kept;
      failedEntries.set(request, failed);
    }
  });
  app.addHook('onSend', async (request, _reply, payload) => {
    const failed = failedEntries.get(request);
    if (failed === undefined || typeof payload !== 'string') return payload;
    const response = JSON.parse(payload);
    if (!Array.isArray(response.Successful)) return payload;
    return JSON.stringify({ ...response, Failed: [...(response.Failed ?? []), ...failed] });
  });
}
