/** Stops the emulators started by the global setup. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __bosunEmulators?: { stop(): Promise<void> } }).__bosunEmulators?.stop();
}
