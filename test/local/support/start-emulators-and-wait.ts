import { startEmulators } from '../../../local/emulators';

// Starts the emulators, prints their endpoints as one JSON line, and waits to be killed.
void startEmulators().then((emulators) => {
  process.stdout.write(`${JSON.stringify({ sqs: emulators.sqsEndpoint, dynamodb: emulators.dynamoDbEndpoint })}\n`);
  setInterval(() => undefined, 60_000);
});
