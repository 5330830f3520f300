import fc from 'fast-check';
import { decodeTime, encodeTime } from 'ulid';
import { dedupTaskId, newTaskId } from '../../lib/sdk/task-id';

const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

describe('newTaskId', () => {
  it('makes ULIDs that sort in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 2000 }, () => newTaskId(1_767_225_600_000));
    for (const id of ids) expect(id).toMatch(ULID);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('encodes the time in the first 10 characters as the ulid reference implementation does', () => {
    const later = 1_767_225_700_123;
    expect(newTaskId(later).slice(0, 10)).toBe(encodeTime(later, 10));
    expect(decodeTime(newTaskId(later + 1))).toBe(later + 1);
  });

  it('never goes backwards when the clock does', () => {
    const before = newTaskId(1_767_225_800_000);
    expect(newTaskId(1_767_225_000_000) > before).toBe(true);
  });
});

describe('dedupTaskId', () => {
  it('gives the same id for the same task and key, a ULID-shaped one', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (key) => {
        expect(dedupTaskId('email.send', key)).toBe(dedupTaskId('email.send', key));
        expect(dedupTaskId('email.send', key)).toMatch(ULID);
      }),
    );
  });

  it('gives different tasks with the same key different ids', () => {
    expect(dedupTaskId('email.send', 'order-1')).not.toBe(dedupTaskId('sms.send', 'order-1'));
    expect(dedupTaskId('email.send', 'order-1')).not.toBe(dedupTaskId('email.send', 'order-2'));
  });
});
