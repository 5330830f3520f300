import { ClaimCheckCorruptError, ClaimCheckMissingError, RoutingDocumentInvalidError } from '../../lib/aws/errors';
import { BosunError } from '../../lib/contract';
import {
  CliQueueUnknownError,
  CliQueueWithoutDlqError,
  CliRoutingDocumentUnavailableError,
  CliTaskNotFoundError,
} from '../../cli/errors';
import type { ApiErrorBody, ApiErrorCode } from './api-types';

/**
 * An error the console API answers with: an HTTP status, a code from the API contract, and a message that says what
 * was wrong, what was given and what is allowed (never a payload).
 *
 * @example
 * throw new ConsoleApiError(404, 'job-not-found', `no job ${jobId}`);
 */
export class ConsoleApiError extends BosunError {
  public override readonly name = 'ConsoleApiError';

  public constructor(
    public readonly status: number,
    public readonly code: ApiErrorCode,
    message: string,
    public readonly known?: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The JSON body of the answer. */
  public body(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.known === undefined ? {} : { known: this.known }) } };
  }
}

/**
 * Translates what the CLI's platform access throws into the API's answer; anything unknown becomes a 500 that names
 * the error's type only (its message could carry something it should not).
 *
 * @example
 * const answer = toConsoleApiError(error);
 */
export function toConsoleApiError(error: unknown): ConsoleApiError {
  if (error instanceof ConsoleApiError) return error;
  if (error instanceof CliQueueUnknownError) {
    return new ConsoleApiError(404, 'queue-unknown', error.message, error.knownQueues, { cause: error });
  }
  if (error instanceof CliQueueWithoutDlqError) return new ConsoleApiError(404, 'queue-without-dlq', error.message, undefined, { cause: error });
  if (error instanceof CliTaskNotFoundError) return new ConsoleApiError(404, 'task-not-found', error.message, undefined, { cause: error });
  if (error instanceof ClaimCheckMissingError || error instanceof ClaimCheckCorruptError) {
    return new ConsoleApiError(404, 'claim-check-missing', error.message, undefined, { cause: error });
  }
  if (error instanceof CliRoutingDocumentUnavailableError || error instanceof RoutingDocumentInvalidError) {
    return new ConsoleApiError(503, 'routing-document-unavailable', error.message, undefined, { cause: error });
  }
  const name = error instanceof Error ? error.name : typeof error;
  return new ConsoleApiError(500, 'internal', `the console could not answer (${name}); see the console's terminal`, undefined, { cause: error });
}
