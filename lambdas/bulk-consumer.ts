// Placeholder entry so the CDK app can bundle while the task runtime (lib/runtime) is being built; replaced by the
// runtime's createTaskHandler wiring.
export const handler = async (): Promise<never> => {
  throw new Error('the bulk consumer is not wired to the task runtime yet');
};
