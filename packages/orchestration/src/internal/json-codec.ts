/** JSON with exact `bigint` (money) values, for the durable stores. */

interface MoneyJson {
  readonly $bigint: string;
}

function isMoneyJson(value: unknown): value is MoneyJson {
  return typeof value === 'object' && value !== null && typeof (value as { $bigint?: unknown }).$bigint === 'string';
}

export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? { $bigint: item.toString() } : item));
}

export function decodeJson<Value>(text: string): Value {
  return JSON.parse(text, (_key, item: unknown) => (isMoneyJson(item) ? BigInt(item.$bigint) : item)) as Value;
}
