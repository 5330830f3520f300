import fc from 'fast-check';
import { EnvelopeInvalidError, parseEnvelope, serializeEnvelope } from '../../../lib/contract';
import { anEnvelope } from '../../support/fixtures';

function problemOf(body: string): string {
  try {
    parseEnvelope(body);
  } catch (error) {
    if (error instanceof EnvelopeInvalidError) return `${error.problem}: ${error.message}`;
    throw error;
  }
  return 'accepted';
}

describe('parseEnvelope', () => {
  it('round-trips an envelope through serializeEnvelope', () => {
    const envelope = anEnvelope({ eta: '2026-11-21T11:00:00.000Z', context: { region: 'eu-west-1' }, traceId: 't-1' });
    expect(parseEnvelope(serializeEnvelope(envelope))).toEqual(envelope);
  });

  it('rejects a body that is not JSON as malformed-json, without echoing the body', () => {
    expect(problemOf('{"secret": "hunter2"')).toMatch(/^malformed-json: message body is not valid JSON \(20 characters\)$/);
  });

  it('rejects an unknown version and names the supported ones', () => {
    expect(problemOf(JSON.stringify({ ...anEnvelope(), v: 7 }))).toBe(
      'unsupported-version: envelope version 7 is not supported (supported: 1)',
    );
  });

  it('rejects an envelope with both payload and claimCheck', () => {
    const body = JSON.stringify({
      ...anEnvelope(),
      claimCheck: { bucket: 'b', key: 'k', bytes: 1, sha256: 'a'.repeat(64) },
    });
    expect(problemOf(body)).toBe('invalid-field: envelope must carry exactly one of "payload" and "claimCheck" (given both)');
  });

  it('names the field and the expected shape of an invalid field', () => {
    expect(problemOf(JSON.stringify({ ...anEnvelope(), attempts: -1 }))).toBe(
      'invalid-field: envelope field "attempts" must be a non-negative integer (given number)',
    );
    expect(problemOf(JSON.stringify({ ...anEnvelope(), eta: 'tomorrow' }))).toMatch(/envelope field "eta" must be an ISO-8601/);
  });

  it('never throws anything but EnvelopeInvalidError, whatever the body', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ v: 1, ...Object(v) }))), (body) => {
        const outcome = problemOf(body);
        expect(outcome).toMatch(/^(accepted|(malformed-json|not-an-envelope|unsupported-version|invalid-field): .+)$/);
      }),
    );
  });
});
