/** Why a value was not stored: it is not plain data. */
export class UnstorableValue {
  constructor(readonly reason: string) {}
}

// Dates are stored as tagged strings and come back as Dates; a string that starts with the tag
// character is escaped, so no stored string is ever mistaken for a Date.
const TAG = '\u0000';
const DATE = `${TAG}d:`;

/**
 * The JSON text of a value to store, or `UnstorableValue`: cycles, bigints, functions, symbols,
 * class instances (other than Date), Maps and Sets would come back as something else, or not at
 * all. Object properties that are `undefined` are left out, as JSON does.
 */
export function encodeValue(value: unknown): string | UnstorableValue {
  try {
    return JSON.stringify(value, function (this: Record<string, unknown>, key: string, encoded: unknown) {
      const original = this[key];
      if (original instanceof Date) return DATE + (encoded ?? 'NaN');
      if (typeof encoded === 'string') return encoded.startsWith(TAG) ? TAG + encoded : encoded;
      if (typeof encoded === 'function' || typeof encoded === 'symbol') throw new UnstorableValue(`a ${typeof encoded}`);
      if (typeof encoded === 'object' && encoded !== null && !Array.isArray(encoded)) {
        const prototype = Object.getPrototypeOf(encoded) as unknown;
        if (prototype !== Object.prototype && prototype !== null) {
          throw new UnstorableValue(`an instance of ${(encoded as object).constructor?.name ?? 'a class'}`);
        }
      }
      return encoded;
    });
  } catch (error) {
    if (error instanceof UnstorableValue) return error;
    // JSON.stringify's own refusals: a cycle, a BigInt.
    return new UnstorableValue(error instanceof Error ? error.message : String(error));
  }
}

/** The value `encodeValue` stored. */
export function decodeValue(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value !== 'string' || !value.startsWith(TAG)) return value;
    if (value.startsWith(DATE)) return new Date(value.slice(DATE.length));
    return value.slice(TAG.length);
  });
}
