import { CeleryConfigError, CeleryMappingError } from './errors';

/** Arguments of a Celery task call. */
export interface CeleryArguments {
  /** Positional arguments. */
  readonly args: readonly unknown[];
  /** Keyword arguments. */
  readonly kwargs: Readonly<Record<string, unknown>>;
}

/**
 * How one Bosun task and one Celery task correspond. By default a payload is a JSON object whose properties are the
 * Celery task's keyword arguments, except those named in `args`, which are passed positionally in that order:
 * `{ task: 'math.add', celeryTask: 'app.add', args: ['x', 'y'] }` turns the payload `{ x: 2, y: 3 }` into
 * `add(2, 3)` and `add.delay(2, 3)` back into `{ x: 2, y: 3 }`. `toCelery`/`fromCelery` replace the default for
 * payloads of another shape; give both, so the task can move both ways.
 */
export interface CeleryTaskMapping {
  /** The Bosun task name, for example `math.add`. */
  readonly task: string;
  /** The registered Celery task name, for example `app.add` (`headers.task`). */
  readonly celeryTask: string;
  /**
   * Names of the Celery task's positional parameters, in order, as the payload names them.
   * @default - none: every payload property is a keyword argument
   */
  readonly args?: readonly string[];
  /** Payload → Celery arguments, replacing the default. @default - see {@link CeleryTaskMapping} */
  readonly toCelery?: (payload: unknown) => CeleryArguments;
  /** Celery arguments → payload, replacing the default. @default - see {@link CeleryTaskMapping} */
  readonly fromCelery?: (call: CeleryArguments) => unknown;
}

/** A Celery task name as Celery accepts it: a Python dotted path, at most 256 characters. */
const CELERY_TASK_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,255}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A validated table of {@link CeleryTaskMapping}s, looked up both ways: by Bosun task (to hand a task to Celery) and
 * by Celery task (to run a Celery message in Bosun).
 *
 * @example
 * const map = new CeleryTaskMap([{ task: 'math.add', celeryTask: 'app.add', args: ['x', 'y'] }]);
 * map.toCelery('math.add', { x: 2, y: 3 }); // { celeryTask: 'app.add', args: [2, 3], kwargs: {} }
 */
export class CeleryTaskMap {
  private readonly byTask = new Map<string, CeleryTaskMapping>();
  private readonly byCeleryTask = new Map<string, CeleryTaskMapping>();

  /** @throws CeleryConfigError for a duplicate name, an invalid Celery task name, or repeated `args`. */
  public constructor(mappings: readonly CeleryTaskMapping[]) {
    for (const mapping of mappings) {
      if (!CELERY_TASK_NAME.test(mapping.celeryTask)) {
        throw new CeleryConfigError(
          `celeryTask of Bosun task "${mapping.task}" must be a Celery task name (letters, digits, _ . : -, starting with a letter or _, at most 256) (given "${mapping.celeryTask.slice(0, 300)}")`,
        );
      }
      if (this.byTask.has(mapping.task)) throw new CeleryConfigError(`Bosun task "${mapping.task}" is mapped twice; map each task once`);
      if (this.byCeleryTask.has(mapping.celeryTask)) throw new CeleryConfigError(`Celery task "${mapping.celeryTask}" is mapped twice; map each task once`);
      const names = mapping.args ?? [];
      if (new Set(names).size !== names.length) {
        throw new CeleryConfigError(`args of Celery task "${mapping.celeryTask}" name a parameter twice (given ${names.join(', ')})`);
      }
      if ((mapping.toCelery === undefined) !== (mapping.fromCelery === undefined)) {
        throw new CeleryConfigError(`Celery task "${mapping.celeryTask}" gives only one of toCelery and fromCelery; give both or neither, so the task maps both ways`);
      }
      this.byTask.set(mapping.task, mapping);
      this.byCeleryTask.set(mapping.celeryTask, mapping);
    }
  }

  /** The Celery task names this table maps. */
  public celeryTasks(): string[] {
    return [...this.byCeleryTask.keys()];
  }

  /** The Bosun task names this table maps. */
  public tasks(): string[] {
    return [...this.byTask.keys()];
  }

  /** The mapping of a Bosun task, if any. */
  public forTask(task: string): CeleryTaskMapping | undefined {
    return this.byTask.get(task);
  }

  /** The mapping of a Celery task, if any. */
  public forCeleryTask(celeryTask: string): CeleryTaskMapping | undefined {
    return this.byCeleryTask.get(celeryTask);
  }

  /**
   * A Bosun task's payload as a Celery call.
   *
   * @throws CeleryMappingError when the task is not mapped or the payload does not fit the mapping.
   */
  public toCelery(task: string, payload: unknown): CeleryArguments & { readonly celeryTask: string } {
    const mapping = this.byTask.get(task);
    if (mapping === undefined) {
      throw new CeleryMappingError('(unmapped)', `Bosun task "${task}" has no Celery mapping (mapped: ${this.tasks().join(', ') || 'none'})`);
    }
    if (mapping.toCelery !== undefined) return { celeryTask: mapping.celeryTask, ...mapping.toCelery(payload) };
    if (!isRecord(payload)) {
      throw new CeleryMappingError(
        mapping.celeryTask,
        `payload of Bosun task "${task}" must be a JSON object to become keyword arguments of Celery task "${mapping.celeryTask}" (given ${Array.isArray(payload) ? 'an array' : payload === null ? 'null' : typeof payload}); give the mapping toCelery/fromCelery for another shape`,
      );
    }
    const args: unknown[] = [];
    const kwargs: Record<string, unknown> = { ...payload };
    // Positional arguments stop at the first absent name: Python fills the rest from defaults or keywords.
    for (const name of mapping.args ?? []) {
      if (!Object.prototype.hasOwnProperty.call(kwargs, name)) break;
      args.push(kwargs[name]);
      delete kwargs[name];
    }
    return { celeryTask: mapping.celeryTask, args, kwargs };
  }

  /**
   * A Celery call as the payload of its Bosun task.
   *
   * @throws CeleryMappingError when the Celery task is not mapped or the call does not fit the mapping.
   */
  public fromCelery(celeryTask: string, call: CeleryArguments): { readonly task: string; readonly payload: unknown } {
    const mapping = this.byCeleryTask.get(celeryTask);
    if (mapping === undefined) {
      throw new CeleryMappingError(celeryTask, `Celery task "${celeryTask}" has no Bosun mapping (mapped: ${this.celeryTasks().join(', ') || 'none'})`);
    }
    if (mapping.fromCelery !== undefined) return { task: mapping.task, payload: mapping.fromCelery(call) };
    const names = mapping.args ?? [];
    if (call.args.length > names.length) {
      throw new CeleryMappingError(
        celeryTask,
        `Celery task "${celeryTask}" was called with ${call.args.length} positional argument(s) but its mapping names ${names.length}${names.length === 0 ? '' : ` (${names.join(', ')})`}; name them in the mapping's args`,
      );
    }
    const payload: Record<string, unknown> = {};
    call.args.forEach((value, index) => {
      Object.defineProperty(payload, names[index] as string, { value, enumerable: true, writable: true, configurable: true });
    });
    for (const [name, value] of Object.entries(call.kwargs)) {
      if (Object.prototype.hasOwnProperty.call(payload, name)) {
        throw new CeleryMappingError(celeryTask, `Celery task "${celeryTask}" got "${name}" both positionally and as a keyword argument`);
      }
      Object.defineProperty(payload, name, { value, enumerable: true, writable: true, configurable: true });
    }
    return { task: mapping.task, payload };
  }
}
