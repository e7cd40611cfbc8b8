/** One place where ours' answer is not what it should be: where, what was expected (from stock's answer), and what ours said. */
export interface Difference {
  /** `data.product.price`, `errors[0].code`; `` for the whole answer. */
  readonly path: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

/** A key one side has and the other does not. */
export const ABSENT: unique symbol = Symbol('absent');

/**
 * The leaves where `actual` differs from `expected`, in `expected`'s order: objects key by key,
 * lists index by index, anything else compared whole. Empty when they are equal.
 */
export function differencesOf(expected: unknown, actual: unknown, path = ''): Difference[] {
  if (isRecord(expected) && isRecord(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
    return keys.flatMap((key) =>
      differencesOf(key in expected ? expected[key] : ABSENT, key in actual ? actual[key] : ABSENT, joinKey(path, key)),
    );
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    return Array.from({ length: Math.max(expected.length, actual.length) }, (_, index) =>
      differencesOf(
        index < expected.length ? expected[index] : ABSENT,
        index < actual.length ? actual[index] : ABSENT,
        `${path}[${index}]`,
      ),
    ).flat();
  }
  return Object.is(expected, actual) ? [] : [{ path, expected, actual }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function joinKey(path: string, key: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}
