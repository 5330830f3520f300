import { CeleryMessageError } from './errors';

/** The kombu typed JSON values Bosun converts, and the plain JSON value each becomes. */
export const KOMBU_TYPED_VALUES = ['datetime', 'date', 'time', 'decimal', 'uuid'] as const;

const UUID_HEX = /^[0-9a-f]{32}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function canonicalUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function typedValue(type: unknown, value: unknown, where: string): unknown {
  switch (type) {
    case 'datetime':
    case 'date':
    case 'time':
    case 'decimal':
      // kombu writes these as text (isoformat / str); the text is kept as written, so no precision is lost
      // (microseconds, offsets, decimal digits a JavaScript number could not hold).
      if (typeof value === 'string') return value;
      break;
    case 'uuid': {
      const hex = isRecord(value) ? value['hex'] : undefined;
      if (typeof hex === 'string') {
        const digits = hex.toLowerCase().replace(/^urn:uuid:/, '').replace(/[{}-]/g, '');
        if (UUID_HEX.test(digits)) return canonicalUuid(digits);
      }
      break;
    }
    default:
      throw new CeleryMessageError(
        'unsupported-typed-value',
        `kombu typed value at ${where} has type ${JSON.stringify(String(type)).slice(0, 80)}, which Bosun does not convert (allowed: ${KOMBU_TYPED_VALUES.join(', ')})`,
      );
  }
  throw new CeleryMessageError('unsupported-typed-value', `kombu typed value of type ${String(type)} at ${where} has a malformed __value__`);
}

/**
 * Replaces kombu's typed JSON values (an object with exactly the keys `__type__` and `__value__`, as kombu ≥ 5.3
 * writes for `datetime`, `date`, `time`, `Decimal` and `UUID`) by plain JSON values: the ISO 8601 or decimal text
 * kombu wrote, and a UUID as its canonical lower-case 8-4-4-4-12 text. kombu itself refuses an unknown `__type__`,
 * and so does this.
 *
 * @throws CeleryMessageError (`unsupported-typed-value`) for an unknown type or a malformed value.
 * @example
 * fromKombuJson({ __type__: 'uuid', __value__: { hex: '00000000000000000000000000000001' } })
 * // '00000000-0000-0000-0000-000000000001'
 */
export function fromKombuJson(value: unknown, where = '(root)'): unknown {
  if (Array.isArray(value)) return value.map((item, index) => fromKombuJson(item, `${where}[${index}]`));
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 2 && '__type__' in value && '__value__' in value) return typedValue(value['__type__'], value['__value__'], where);
  // fromEntries defines properties, so a key named __proto__ stays data and never becomes a prototype.
  return Object.fromEntries(keys.map((key) => [key, fromKombuJson(value[key], `${where}.${key}`)]));
}
