import { BosunError } from '../contract';

/**
 * A construct prop outside the range AWS (or Bosun) allows, raised at synth so a broken platform never reaches
 * CloudFormation. Carries the construct path, the prop, the value given and the range allowed.
 *
 * @example
 * try { new TaskQueue(stack, 'Q', { queueName: 'q', maxReceiveCount: 0 }) }
 * catch (e) { if (e instanceof ConstructPropsInvalidError) console.log(e.prop, e.given) }
 */
export class ConstructPropsInvalidError extends BosunError {
  public override readonly name = 'ConstructPropsInvalidError';

  public constructor(
    /** Path of the construct whose props are invalid, for example `Bosun-dev/DefaultQueue`. */
    public readonly constructPath: string,
    /** Name of the offending prop, for example `maxReceiveCount`. */
    public readonly prop: string,
    /** The value given, rendered for people, for example `0` or `1200 s`. */
    public readonly given: string,
    /** One sentence naming the problem and the allowed range. */
    message: string,
  ) {
    super(`${constructPath}: ${message}`);
  }
}
