/**
 * A writer of GGUF files (version 3), the single-file model format that llama.cpp loads: a header, typed
 * metadata key/values, tensor descriptors, then the tensor data, each tensor aligned to `general.alignment`
 * (32 bytes unless the metadata says otherwise).
 *
 * Use it to build small models for tests and demos without downloading weights (see `TinyLlama`). Only `f32`
 * tensors are written (little-endian, as on every host llama.cpp runs on); quantized types are out of scope.
 *
 * @example
 * const bytes = Gguf.write({
 *   metadata: [["general.architecture", Gguf.string("llama")], ["llama.block_count", Gguf.uint32(1)]],
 *   tensors: [{ name: "output_norm.weight", dimensions: [64], data: new Float32Array(64).fill(1) }]
 * })
 */

/** A metadata value with its GGUF type. Build one with the constructors below (`uint32`, `string`, `array`…). */
export type Value =
  | { readonly type: "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "float32" | "float64"; readonly value: number }
  | { readonly type: "uint64" | "int64"; readonly value: bigint }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "array"; readonly itemType: ScalarType; readonly values: ReadonlyArray<number | bigint | boolean | string> }

/** The types an array's items may have (GGUF arrays are homogeneous; nested arrays are not written here). */
export type ScalarType = Exclude<Value["type"], "array">

/** One tensor: its name, its dimensions in ggml order (the fastest-varying first) and its `f32` data. */
export interface Tensor {
  readonly name: string
  /** ggml order: `[columns, rows]` for a matrix whose rows are stored one after another. */
  readonly dimensions: ReadonlyArray<number>
  readonly data: Float32Array
}

/** What a GGUF file holds: metadata in order, then tensors in order. */
export interface Contents {
  readonly metadata: ReadonlyArray<readonly [key: string, value: Value]>
  readonly tensors: ReadonlyArray<Tensor>
}

/** An unsigned 32-bit metadata value. */
export const uint32 = (value: number): Value => ({ type: "uint32", value })
/** A signed 32-bit metadata value. */
export const int32 = (value: number): Value => ({ type: "int32", value })
/** A 32-bit float metadata value. */
export const float32 = (value: number): Value => ({ type: "float32", value })
/** A boolean metadata value. */
export const bool = (value: boolean): Value => ({ type: "bool", value })
/** A UTF-8 string metadata value. */
export const string = (value: string): Value => ({ type: "string", value })
/** A homogeneous array metadata value. */
export const array = (itemType: ScalarType, values: ReadonlyArray<number | bigint | boolean | string>): Value => ({
  type: "array",
  itemType,
  values
})

const typeCodes: Record<Value["type"], number> = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12
}

/** The ggml tensor type code of `f32`. */
const ggmlTypeF32 = 0
/** The alignment of tensor data when the metadata sets none. */
export const defaultAlignment = 32

const utf8 = new TextEncoder()

/** A growing little-endian byte buffer. */
class Writer {
  private buffer = new Uint8Array(1 << 16)
  private view = new DataView(this.buffer.buffer)
  length = 0

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return
    let size = this.buffer.length * 2
    while (size < this.length + bytes) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buffer.subarray(0, this.length))
    this.buffer = next
    this.view = new DataView(next.buffer)
  }
  u8(value: number): void {
    this.reserve(1)
    this.view.setUint8(this.length, value)
    this.length += 1
  }
  scalar(type: ScalarType, value: number | bigint | boolean | string): void {
    switch (type) {
      case "uint8":
        return this.fixed(1, (offset) => this.view.setUint8(offset, Number(value)))
      case "int8":
        return this.fixed(1, (offset) => this.view.setInt8(offset, Number(value)))
      case "uint16":
        return this.fixed(2, (offset) => this.view.setUint16(offset, Number(value), true))
      case "int16":
        return this.fixed(2, (offset) => this.view.setInt16(offset, Number(value), true))
      case "uint32":
        return this.fixed(4, (offset) => this.view.setUint32(offset, Number(value), true))
      case "int32":
        return this.fixed(4, (offset) => this.view.setInt32(offset, Number(value), true))
      case "float32":
        return this.fixed(4, (offset) => this.view.setFloat32(offset, Number(value), true))
      case "float64":
        return this.fixed(8, (offset) => this.view.setFloat64(offset, Number(value), true))
      case "uint64":
        return this.fixed(8, (offset) => this.view.setBigUint64(offset, BigInt(value), true))
      case "int64":
        return this.fixed(8, (offset) => this.view.setBigInt64(offset, BigInt(value), true))
      case "bool":
        return this.u8(value === true ? 1 : 0)
      case "string": {
        const bytes = utf8.encode(String(value))
        this.scalar("uint64", BigInt(bytes.length))
        return this.bytes(bytes)
      }
    }
  }
  private fixed(size: number, set: (offset: number) => void): void {
    this.reserve(size)
    set(this.length)
    this.length += size
  }
  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length)
    this.buffer.set(bytes, this.length)
    this.length += bytes.length
  }
  padTo(alignment: number): void {
    while (this.length % alignment !== 0) this.u8(0)
  }
  result(): Uint8Array {
    return this.buffer.slice(0, this.length)
  }
}

const alignUp = (value: number, alignment: number) => Math.ceil(value / alignment) * alignment

/**
 * Serializes metadata and `f32` tensors into the bytes of a GGUF v3 file.
 * Throws a `RangeError` on contents no reader could accept (a tensor whose data length is not the product of
 * its dimensions, a duplicate key or tensor name): those are programming errors, not runtime conditions.
 */
export const write = (contents: Contents): Uint8Array => {
  const keys = new Set<string>()
  let alignment = defaultAlignment
  for (const [key, value] of contents.metadata) {
    if (keys.has(key)) throw new RangeError(`GGUF: duplicate metadata key ${key}`)
    keys.add(key)
    if (key === "general.alignment" && value.type === "uint32") alignment = value.value
  }
  const names = new Set<string>()
  for (const tensor of contents.tensors) {
    if (names.has(tensor.name)) throw new RangeError(`GGUF: duplicate tensor ${tensor.name}`)
    names.add(tensor.name)
    const elements = tensor.dimensions.reduce((product, dimension) => product * dimension, 1)
    if (elements !== tensor.data.length)
      throw new RangeError(`GGUF: tensor ${tensor.name} has ${tensor.data.length} values for dimensions ${tensor.dimensions.join("×")}`)
  }

  const out = new Writer()
  out.bytes(utf8.encode("GGUF"))
  out.scalar("uint32", 3)
  out.scalar("uint64", BigInt(contents.tensors.length))
  out.scalar("uint64", BigInt(contents.metadata.length))
  for (const [key, value] of contents.metadata) {
    out.scalar("string", key)
    out.scalar("uint32", typeCodes[value.type])
    if (value.type === "array") {
      out.scalar("uint32", typeCodes[value.itemType])
      out.scalar("uint64", BigInt(value.values.length))
      for (const item of value.values) out.scalar(value.itemType, item)
    } else {
      out.scalar(value.type, value.value)
    }
  }
  let offset = 0
  const offsets: Array<number> = []
  for (const tensor of contents.tensors) {
    offsets.push(offset)
    out.scalar("string", tensor.name)
    out.scalar("uint32", tensor.dimensions.length)
    for (const dimension of tensor.dimensions) out.scalar("uint64", BigInt(dimension))
    out.scalar("uint32", ggmlTypeF32)
    out.scalar("uint64", BigInt(offset))
    offset = alignUp(offset + tensor.data.byteLength, alignment)
  }
  out.padTo(alignment)
  const dataStart = out.length
  contents.tensors.forEach((tensor, index) => {
    while (out.length < dataStart + (offsets[index] ?? 0)) out.u8(0)
    const little = new Float32Array(tensor.data)
    out.bytes(new Uint8Array(little.buffer, little.byteOffset, little.byteLength))
  })
  out.padTo(alignment)
  return out.result()
}
