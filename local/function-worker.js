'use strict';
// One local "execution environment": a worker thread that loads a function's bundled handler once and runs one
// invocation at a time, like a warm Lambda sandbox. The parent terminates the worker when an invocation overruns
// its timeout. Plain CommonJS (.js in a CommonJS package) so it runs the same under node, tsx and ts-jest.
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const { randomUUID } = require('node:crypto');

const { modulePath, exportName, functionName, memorySizeMb } = workerData;

let handlerPromise;
function loadHandler() {
  if (handlerPromise === undefined) {
    handlerPromise = (async () => {
      const mod = modulePath.endsWith('.mjs') ? await import(pathToFileURL(modulePath).href) : require(modulePath);
      const handler = mod[exportName] ?? (mod.default !== undefined ? mod.default[exportName] : undefined);
      if (typeof handler !== 'function') {
        throw new TypeError(`${modulePath} does not export a function named "${exportName}"`);
      }
      return handler;
    })();
  }
  return handlerPromise;
}

function lambdaContext(deadlineMs) {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION ?? 'us-east-1'}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memorySizeMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

parentPort.on('message', async (message) => {
  const { id, event, timeoutMs } = message;
  try {
    const handler = await loadHandler();
    // The invocation's clock starts after the cold start's init, as in Lambda; the parent starts its kill timer now.
    const deadlineMs = Date.now() + timeoutMs;
    parentPort.postMessage({ id, started: true, ok: true });
    const result = await handler(event, lambdaContext(deadlineMs));
    parentPort.postMessage({ id, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    const name = error instanceof Error ? error.name : typeof error;
    const text = error instanceof Error ? error.message : String(error);
    parentPort.postMessage({ id, ok: false, errorType: name, errorMessage: text });
  }
});
