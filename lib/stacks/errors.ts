import { BosunError } from '../contract';

/**
 * A platform definition that cannot be deployed: a bad queue name, a duplicate, a missing default queue, a
 * claim-check threshold above a queue's message size. Names the field, the value given and what is allowed.
 *
 * @example
 * try { new PlatformStack(app, 'Bosun-dev', { stage: 'dev', definition }) }
 * catch (e) { if (e instanceof PlatformDefinitionInvalidError) console.log(e.field) }
 */
export class PlatformDefinitionInvalidError extends BosunError {
  public override readonly name = 'PlatformDefinitionInvalidError';

  public constructor(
    /** The field at fault, for example `queues[1].name`. */
    public readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
