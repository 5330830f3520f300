import fc from 'fast-check';
import { Limits } from '../../lib/contract';
import { choosePayloadPlacement, chunkBySize, messageAttributeBytes } from '../../lib/sdk/sizing';

const KIB = 1024;
const MIB = 1024 * KIB;
const THRESHOLD = Limits.DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES;

describe('choosePayloadPlacement', () => {
  it('keeps an envelope of exactly 256 KiB inline and claim-checks 256 KiB + 1 byte', () => {
    expect(choosePayloadPlacement({ inlineEnvelopeBytes: 256 * KIB, attributeBytes: 100, thresholdBytes: THRESHOLD })).toBe('inline');
    expect(choosePayloadPlacement({ inlineEnvelopeBytes: 256 * KIB + 1, attributeBytes: 100, thresholdBytes: THRESHOLD })).toBe('claim-check');
  });

  it('with a 1 MiB threshold, keeps a message inline only if body plus attributes fit 1 MiB', () => {
    expect(choosePayloadPlacement({ inlineEnvelopeBytes: MIB - 100, attributeBytes: 100, thresholdBytes: MIB })).toBe('inline');
    expect(choosePayloadPlacement({ inlineEnvelopeBytes: MIB - 100, attributeBytes: 101, thresholdBytes: MIB })).toBe('claim-check');
    expect(choosePayloadPlacement({ inlineEnvelopeBytes: MIB, attributeBytes: 0, thresholdBytes: MIB })).toBe('inline');
    expect(choosePayloadPlacement({ inlineEnvelopeBytes: MIB + 1, attributeBytes: 0, thresholdBytes: MIB })).toBe('claim-check');
  });

  it('never sends inline a message SQS would refuse, and never claim-checks one that fits the threshold and the queue', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 * MIB }),
        fc.integer({ min: 0, max: 4 * KIB }),
        fc.integer({ min: KIB, max: MIB }),
        (envelope, attributes, threshold) => {
          const placement = choosePayloadPlacement({ inlineEnvelopeBytes: envelope, attributeBytes: attributes, thresholdBytes: threshold });
          const fits = envelope <= threshold && envelope + attributes <= Limits.SQS_MAX_MESSAGE_BYTES;
          expect(placement).toBe(fits ? 'inline' : 'claim-check');
        },
      ),
    );
  });
});

describe('chunkBySize', () => {
  it('keeps order and puts every message in exactly one call of at most 10 entries and 1 MiB', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: MIB }), { maxLength: 60 }), (sizes) => {
        const chunks = chunkBySize(sizes);
        expect(chunks.flat()).toEqual(sizes.map((_, i) => i));
        for (const chunk of chunks) {
          expect(chunk.length).toBeGreaterThan(0);
          expect(chunk.length).toBeLessThanOrEqual(10);
          expect(chunk.reduce((sum, i) => sum + (sizes[i] as number), 0)).toBeLessThanOrEqual(MIB);
        }
      }),
    );
  });

  it('starts a new call only when the next message would not fit', () => {
    expect(chunkBySize([600 * KIB, 424 * KIB, 1])).toEqual([[0, 1], [2]]);
    expect(chunkBySize(Array.from({ length: 25 }, () => 100))).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
      [20, 21, 22, 23, 24],
    ]);
  });

  it('refuses a message larger than one call', () => {
    expect(() => chunkBySize([10, MIB + 1])).toThrow('message 1 is 1048577 bytes; one batch call carries at most 1048576 bytes');
  });
});

describe('messageAttributeBytes', () => {
  it('counts names, data types and values in UTF-8', () => {
    expect(
      messageAttributeBytes({
        'Bosun.TaskName': { DataType: 'String', StringValue: 'é' },
        n: { DataType: 'Number', StringValue: '1' },
        b: { DataType: 'Binary', BinaryValue: new Uint8Array(5) },
      }),
    ).toBe(14 + 6 + 2 + (1 + 6 + 1) + (1 + 6 + 5));
  });
});
