/**
 * A stand-in for a service's mail client, named by the task examples in README.md and docs/runtime.md. It sends
 * nothing: it waits a moment (aborting with the task's signal) and returns a message id.
 *
 * @example
 * const messageId = await mailer.send({ to: 'ada@example.com', subject: 'Hi' }, { signal: ctx.signal });
 */
export const mailer = {
  async send(message: { readonly to: string; readonly subject: string }, options: { readonly signal?: AbortSignal } = {}): Promise<string> {
    options.signal?.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 10));
    options.signal?.throwIfAborted();
    return `example-${message.to.length}-${message.subject.length}-${Date.now()}`;
  },
};
