/**
 * Records are Redis hashes: one field per top-level key, its value as JSON text. Patches and
 * compare-and-set then run server-side on fields, and nested values round-trip exactly.
 */

/** `[field, json, field, json, ...]` for every defined top-level key. */
export function encodeFields(record: object): string[] {
  const flat: string[] = []
  for (const [key, value] of Object.entries(record)) {
    if (value !== undefined) flat.push(key, JSON.stringify(value))
  }
  return flat
}

/** The record from a flat `[field, json, ...]` reply; `undefined` for an empty/absent reply. */
export function decodeFields<T>(flat: unknown): T | undefined {
  if (!Array.isArray(flat) || flat.length === 0) return undefined
  const record: Record<string, unknown> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = JSON.parse(String(flat[i + 1]))
  return record as T
}

/** A token or delivery as script arguments: the id(s), the TTL, then the encoded fields. */
export function spec(head: readonly (string | number)[], record: object): (string | number)[] {
  const fields = encodeFields(record)
  return [...head, fields.length / 2, ...fields]
}
