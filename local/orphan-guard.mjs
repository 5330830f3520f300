// Runs one emulator as a child process and ends it when the process that started the emulators is gone, even when
// that process was killed with SIGKILL and had no chance to clean up. Signals sent to the guard are forwarded.
// Usage: node local/orphan-guard.mjs <owner pid> <command> [args...]
import { spawn } from 'node:child_process';

const [ownerPid, command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: 'inherit' });

const stop = (signal) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => stop(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 0 : 1)));
child.on('error', (error) => {
  process.stderr.write(`cannot start ${command}: ${error.message}\n`);
  process.exit(127);
});

const OWNER_CHECK_MS = 1000;
const FORCE_AFTER_MS = 5000;
setInterval(() => {
  try {
    process.kill(Number(ownerPid), 0);
  } catch {
    stop('SIGTERM');
    setTimeout(() => stop('SIGKILL'), FORCE_AFTER_MS).unref();
  }
}, OWNER_CHECK_MS);
