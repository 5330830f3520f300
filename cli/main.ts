#!/usr/bin/env node
import { processIo } from './output';
import { runCli } from './cli';

// The AWS SDK warns on every run under Node 20 that releases after January 2027 need Node 22; the README says which
// Node versions Bosun supports, so people running a command do not need that notice on each one.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

runCli(process.argv.slice(2), { io: processIo() }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
