import type { TaskEnvelope } from './envelope';

/**
 * The routing document: the AppConfig freeform JSON that decides where each task goes. One JSON Schema
 * ({@link ROUTING_DOCUMENT_SCHEMA}) validates it both in AppConfig (draft-04, the only draft AppConfig's validator
 * supports) and in the SDK, and one pure function ({@link evaluateRoute}) decides, in the producer and the consumer alike.
 */

/** Version of the routing document format this build reads. */
export const ROUTING_DOCUMENT_VERSION = 1;

/** One ordered routing rule. Every present matcher must match; an absent matcher matches everything. */
export interface RoutingRule {
  /** Unique, stable id; named in decisions, logs and task state. */
  readonly id: string;
  /** What the rule is for, for people. */
  readonly description?: string;
  /** Task names or globs (`*` any run of characters, `?` one character), for example `reports.*`. */
  readonly tasks?: readonly string[];
  /** Regions the publisher runs in, exact, for example `eu-west-1`. */
  readonly regions?: readonly string[];
  /** Context attributes: each listed attribute must be present with one of the listed values (globs allowed). */
  readonly context?: Readonly<Record<string, readonly string[]>>;
  /** Destination: a Bosun queue name or a custom destination the application registered. */
  readonly destination: string;
  /**
   * Share of matching tasks sent to `destination`, 0–100 with up to two decimals; the rest fall through to later
   * rules. The split is a stable hash of `hashKey`, so raising 10 → 20 keeps the first 10 % where they were.
   * @default 100
   */
  readonly percentage?: number;
  /**
   * What the percentage hashes: `taskId`, `dedupKey`, or `context.<attribute>` (for example `context.tenant`, so one
   * tenant moves as a whole).
   * @default taskId
   */
  readonly hashKey?: string;
}

/** The whole routing document. */
export interface RoutingDocument {
  /** Format version; see {@link ROUTING_DOCUMENT_VERSION}. */
  readonly version: number;
  /** Destination of tasks no rule takes. */
  readonly defaultDestination: string;
  /** Ordered rules; the first that matches (and whose percentage takes the task) decides. */
  readonly rules: readonly RoutingRule[];
  /** Task names or globs that are paused: published as usual, but consumers hold them without running them. */
  readonly paused?: readonly string[];
  /** Task names or globs whose publishing is rejected with a clear error. */
  readonly killed?: readonly string[];
  /** Reject publishing of every task. */
  readonly killSwitch?: boolean;
}

const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';
const GLOB_LIST = {
  type: 'array',
  items: { type: 'string', minLength: 1, maxLength: 256 },
  uniqueItems: true,
} as const;

/**
 * JSON Schema (draft-04) of the routing document. Used as the AppConfig configuration profile's validator and by the
 * SDK's flag sources, so a document AppConfig accepts is exactly a document Bosun accepts.
 */
export const ROUTING_DOCUMENT_SCHEMA = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  title: 'Bosun routing document',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'defaultDestination', 'rules'],
  properties: {
    version: { type: 'integer', enum: [ROUTING_DOCUMENT_VERSION] },
    defaultDestination: { type: 'string', pattern: NAME_PATTERN },
    killSwitch: { type: 'boolean' },
    paused: GLOB_LIST,
    killed: GLOB_LIST,
    rules: {
      type: 'array',
      maxItems: 500,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'destination'],
        properties: {
          id: { type: 'string', pattern: NAME_PATTERN },
          description: { type: 'string', maxLength: 1024 },
          tasks: GLOB_LIST,
          regions: { type: 'array', items: { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$' }, uniqueItems: true },
          context: {
            type: 'object',
            additionalProperties: GLOB_LIST,
          },
          destination: { type: 'string', pattern: NAME_PATTERN },
          percentage: { type: 'number', minimum: 0, maximum: 100, multipleOf: 0.01 },
          hashKey: { type: 'string', pattern: '^(taskId|dedupKey|context\\.[A-Za-z0-9._-]+)$' },
        },
      },
    },
  },
} as const;

/**
 * The document a fresh platform starts with: every task to the queue named `defaultQueue`.
 *
 * @example
 * const doc = defaultRoutingDocument('default');
 */
export function defaultRoutingDocument(defaultQueue: string): RoutingDocument {
  return { version: ROUTING_DOCUMENT_VERSION, defaultDestination: defaultQueue, rules: [] };
}

/** What the evaluator needs to know about one task. */
export interface RouteInput {
  /** Task name. */
  readonly task: string;
  /** Task id (the default percentage hash key). */
  readonly taskId: string;
  /** Region the publisher runs in, if known. */
  readonly region?: string;
  /** Routing context attributes the publisher passed. */
  readonly context?: Readonly<Record<string, string>>;
  /** Deduplication key, if any. */
  readonly dedupKey?: string;
}

/** A routing decision and why it was made. */
export interface RouteDecision {
  /** Destination name: a Bosun queue or a registered custom destination. */
  readonly destination: string;
  /** Rule that decided, or `null` for the document's default. */
  readonly ruleId: string | null;
  /** Consumers hold paused tasks (release with a delay) instead of running them. */
  readonly paused: boolean;
  /** Publishing is rejected (kill switch or killed list). */
  readonly killed: boolean;
  /** One sentence for people: which rule or list decided, and how. */
  readonly reason: string;
}

const globCache = new Map<string, RegExp>();

/**
 * Whether `value` matches a glob where `*` is any run of characters and `?` one character; everything else is
 * literal.
 *
 * @example
 * matchesGlob('reports.daily', 'reports.*') // true
 */
export function matchesGlob(value: string, glob: string): boolean {
  let regex = globCache.get(glob);
  if (regex === undefined) {
    const source = glob
      .split('')
      .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    // `s` (dotAll): `*` and `?` also match line breaks, which context values may contain.
    regex = new RegExp(`^${source}$`, 's');
    globCache.set(glob, regex);
  }
  return regex.test(value);
}

function matchesAny(value: string, globs: readonly string[] | undefined): boolean {
  return globs !== undefined && globs.some((glob) => matchesGlob(value, glob));
}

/** FNV-1a, 32-bit: a small, stable, well-distributed string hash, identical in every process and version. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Number of hash buckets of a percentage split: 0.01 % resolution. */
export const PERCENTAGE_BUCKETS = 10_000;

/**
 * The bucket (0 – {@link PERCENTAGE_BUCKETS} − 1) a key falls in for one rule. A task goes to the rule's destination
 * when its bucket is below `percentage × 100`. Salting with the rule id keeps rules independent.
 *
 * @example
 * percentageBucket('canary', '01J...') < 25 * 100
 */
export function percentageBucket(ruleId: string, key: string): number {
  return fnv1a32(`${ruleId}\u0000${key}`) % PERCENTAGE_BUCKETS;
}

function hashKeyValue(rule: RoutingRule, input: RouteInput): string | undefined {
  const hashKey = rule.hashKey ?? 'taskId';
  if (hashKey === 'taskId') return input.taskId;
  if (hashKey === 'dedupKey') return input.dedupKey;
  return input.context?.[hashKey.slice('context.'.length)];
}

function ruleMatches(rule: RoutingRule, input: RouteInput): boolean {
  if (rule.tasks !== undefined && !matchesAny(input.task, rule.tasks)) return false;
  if (rule.regions !== undefined && (input.region === undefined || !rule.regions.includes(input.region))) return false;
  if (rule.context !== undefined) {
    for (const [attribute, globs] of Object.entries(rule.context)) {
      const value = input.context?.[attribute];
      if (value === undefined || !matchesAny(value, globs)) return false;
    }
  }
  return true;
}

/**
 * Decides where one task goes under a (validated) routing document. Pure and deterministic: the producer and the
 * consumer reach the same decision for the same document and input.
 *
 * Order: kill switch, killed list, then the first rule that matches and whose percentage takes the task (a task a
 * percentage does not take falls through to later rules), else the default destination. Paused is reported alongside
 * the destination.
 *
 * @example
 * const decision = evaluateRoute(doc, { task: 'email.send', taskId: id, region: 'eu-west-1' });
 */
export function evaluateRoute(document: RoutingDocument, input: RouteInput): RouteDecision {
  const paused = matchesAny(input.task, document.paused);
  const pausedNote = paused ? '; the task is paused' : '';
  if (document.killSwitch === true) {
    return {
      destination: document.defaultDestination,
      ruleId: null,
      paused,
      killed: true,
      reason: 'the kill switch is on: publishing of every task is rejected',
    };
  }
  if (matchesAny(input.task, document.killed)) {
    return {
      destination: document.defaultDestination,
      ruleId: null,
      paused,
      killed: true,
      reason: `task "${input.task}" matches the killed list: publishing it is rejected`,
    };
  }
  for (const rule of document.rules) {
    if (!ruleMatches(rule, input)) continue;
    const percentage = rule.percentage ?? 100;
    if (percentage < 100) {
      const key = hashKeyValue(rule, input);
      const bucket = key === undefined ? PERCENTAGE_BUCKETS : percentageBucket(rule.id, key);
      if (bucket >= Math.round(percentage * 100)) continue;
      return {
        destination: rule.destination,
        ruleId: rule.id,
        paused,
        killed: false,
        reason: `rule "${rule.id}" matched and took the task in its ${percentage} % split (bucket ${bucket} of ${PERCENTAGE_BUCKETS})${pausedNote}`,
      };
    }
    return {
      destination: rule.destination,
      ruleId: rule.id,
      paused,
      killed: false,
      reason: `rule "${rule.id}" matched${pausedNote}`,
    };
  }
  return {
    destination: document.defaultDestination,
    ruleId: null,
    paused,
    killed: false,
    reason: `no rule matched; the default destination applies${pausedNote}`,
  };
}

/**
 * Where the current routing document comes from (AppConfig, a file, a static object). Implementations cache and
 * refresh on their own schedule; `current()` is cheap enough to call per task.
 */
export interface RoutingDocumentSource {
  /** The current valid document (the last known good one if the source is failing, else the embedded default). */
  current(): Promise<RoutingDocument>;
}

/** One task handed to a custom destination. */
export interface CustomDelivery {
  /** The task's envelope, with the route stamp of the decision that sent it here. */
  readonly envelope: TaskEnvelope;
  /** The payload, already resolved from a claim check if there was one. */
  readonly payload: unknown;
  /** The routing decision that chose this destination. */
  readonly decision: RouteDecision;
}

/**
 * A destination the application registers in code, for example the legacy queue system being migrated from.
 * `deliver` must either hand the task over durably or throw; a throw leaves the task where it was.
 */
export interface CustomDestination {
  /** Name the routing document uses; must not clash with a Bosun queue name. */
  readonly name: string;
  /**
   * How far an ETA the destination may be handed. A task routed here whose ETA is farther waits on Bosun's scheduled
   * path (SQS delays, a hop chain or a one-time schedule) on a Bosun queue and is handed over when due.
   * @default - no limit: every task is handed over at publish with its ETA
   */
  readonly farEta?: CustomDestinationEtaLimit;
  /**
   * Says, without side effects, why the destination could never take this task (for example a task it has no mapping
   * for), or `undefined` when it can. The producer SDK refuses such a publish before anything is written or sent; a
   * consumer dead-letters such a hand-over with the reason instead of retrying it.
   * @default - every task is accepted until `deliver` says otherwise
   */
  check?(task: string, payload: unknown): string | undefined;
  /** Hands one task over. */
  deliver(delivery: CustomDelivery): Promise<void>;
}

/**
 * The ETA limit of a {@link CustomDestination}, for a system that cannot hold a task for long itself (a Celery worker
 * holds an ETA in memory, and runs it again each time the visibility timeout passes).
 */
export interface CustomDestinationEtaLimit {
  /** Farthest ETA handed over at publish, in seconds from now (for example 900, SQS's longest delay). */
  readonly maxDelaySeconds: number;
  /**
   * The Bosun queue a farther task waits on. Its consumer must re-check the route and register this destination, so it
   * hands the task over when due (or runs it, if the flags have moved the task back to Bosun meanwhile).
   * @default - none: publishing a task with a farther ETA to this destination is refused
   */
  readonly holdQueue?: string;
}
