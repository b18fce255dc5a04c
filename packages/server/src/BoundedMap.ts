/**
 * A map that keeps only its latest entries: past its size, setting a key drops the entry set longest ago (setting
 * a key again makes it the latest). For what the server remembers per request, which must not grow with every
 * request it ever served.
 *
 * @example
 * const spent = new BoundedMap.BoundedMap<string, number>(2)
 * spent.set("a", 1).set("b", 2).set("c", 3) // keeps b and c
 */
export class BoundedMap<K, V> extends Map<K, V> {
  /** The most entries kept. */
  readonly capacity: number

  constructor(capacity: number) {
    super()
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a BoundedMap's size must be an integer ≥ 1, got ${capacity}`)
    this.capacity = capacity
  }

  override set(key: K, value: V): this {
    super.delete(key)
    super.set(key, value)
    while (this.size > this.capacity) {
      const oldest = this.keys().next()
      if (oldest.done === true) break
      super.delete(oldest.value)
    }
    return this
  }
}
