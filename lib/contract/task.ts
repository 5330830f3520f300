/** One problem a payload schema found: where, and what. */
export interface PayloadIssue {
  readonly path: ReadonlyArray<PropertyKey>;
  readonly message: string;
}

/** Result of validating a payload against a task's schema. */
export type PayloadParseResult<T> =
  | { readonly success: true; readonly data: T }
  | { readonly success: false; readonly error: { readonly issues: ReadonlyArray<PayloadIssue> } };

/**
 * The minimal schema shape Bosun needs; a zod schema satisfies it structurally, so the contract imports no zod.
 */
export interface PayloadSchema<T> {
  safeParse(data: unknown): PayloadParseResult<T>;
}

/**
 * What producer and consumer share about a task: its name and its payload schema. A runtime `defineTask(...)`
 * result is a `TaskDeclaration`, so the SDK can import the same definitions and validate payloads identically.
 */
export interface TaskDeclaration<TPayload = unknown> {
  /** Task name: lower-case words separated by `.`, `-` or `_`, for example `email.send`. */
  readonly name: string;
  /** Payload schema. */
  readonly schema: PayloadSchema<TPayload>;
}

/** Payload type of a {@link TaskDeclaration}. */
export type PayloadOf<T> = T extends TaskDeclaration<infer P> ? P : never;

/** Pattern every task name must match. */
export const TASK_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;
