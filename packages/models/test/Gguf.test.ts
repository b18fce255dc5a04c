import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fc, test } from "@fast-check/vitest"
import { readGgufFileInfo } from "node-llama-cpp"
import { describe, expect, it } from "vitest"
import { Gguf, TinyLlama } from "../src/index.js"

const directory = mkdtempSync(join(tmpdir(), "stepwise-gguf-"))
let files = 0
const written = (bytes: Uint8Array) => {
  const path = join(directory, `file-${files++}.gguf`)
  writeFileSync(path, bytes)
  return path
}

describe("Gguf.write", () => {
  it("writes the header: magic, version 3, tensor and key counts", () => {
    const bytes = Gguf.write({
      metadata: [["general.architecture", Gguf.string("llama")]],
      tensors: [{ name: "a", dimensions: [2, 3], data: new Float32Array(6) }]
    })
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("GGUF")
    expect(view.getUint32(4, true)).toBe(3)
    expect(view.getBigUint64(8, true)).toBe(1n)
    expect(view.getBigUint64(16, true)).toBe(1n)
    expect(bytes.length % Gguf.defaultAlignment).toBe(0)
  })

  it("rejects data whose length does not match the dimensions, and duplicate names", () => {
    expect(() => Gguf.write({ metadata: [], tensors: [{ name: "a", dimensions: [2, 2], data: new Float32Array(3) }] })).toThrow(
      RangeError
    )
    expect(() =>
      Gguf.write({ metadata: [["k", Gguf.uint32(1)], ["k", Gguf.uint32(2)]], tensors: [] })
    ).toThrow(RangeError)
  })

  it("is read back by llama.cpp's GGUF reader: metadata, tensor names, dimensions and aligned offsets", async () => {
    const path = written(TinyLlama.bytes())
    const info = await readGgufFileInfo(path, { logWarnings: false })
    expect(info.version).toBe(3)
    expect(info.metadata.general.architecture).toBe("llama")
    expect(info.metadata.tokenizer.ggml.model).toBe("llama")
    expect(info.metadata.tokenizer.ggml.tokens).toEqual(TinyLlama.vocabulary().map((token) => token.text))
    expect(info.metadata.tokenizer.chat_template).toBe(TinyLlama.chatTemplate)
    const contents = TinyLlama.contents()
    expect(info.tensorInfo?.map((tensor) => tensor.name)).toEqual(contents.tensors.map((tensor) => tensor.name))
    expect(info.tensorInfo?.map((tensor) => tensor.dimensions.map(Number))).toEqual(
      contents.tensors.map((tensor) => [...tensor.dimensions])
    )
    for (const tensor of info.tensorInfo ?? []) expect(Number(tensor.offset) % Gguf.defaultAlignment).toBe(0)
  })

  test.prop(
    [
      fc.dictionary(
        fc.stringMatching(/^[a-z]{1,8}\.[a-z_]{1,8}$/),
        fc.oneof(
          fc.integer({ min: 0, max: 2 ** 32 - 1 }).map(Gguf.uint32),
          fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map(Gguf.int32),
          fc.boolean().map(Gguf.bool),
          fc.string({ maxLength: 20 }).map(Gguf.string),
          fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 5 }).map((values) => Gguf.array("int32", values))
        ),
        { minKeys: 1, maxKeys: 6 }
      )
    ],
    { numRuns: 15 }
  )("for all metadata, llama.cpp's reader reads back every key and value", async (entries) => {
    const metadata = Object.entries(entries).map(([key, value]) => [`stepwise.${key}`, value] as const)
    const path = written(Gguf.write({ metadata, tensors: [] }))
    const info = await readGgufFileInfo(path, { logWarnings: false, readTensorInfo: false })
    const stored = (info.metadata as unknown as Record<string, Record<string, Record<string, unknown>>>)["stepwise"] ?? {}
    for (const [key, value] of Object.entries(entries)) {
      const [group = "", leaf = ""] = key.split(".")
      const read = stored[group]?.[leaf]
      if (value.type === "array") expect(read).toEqual(value.values)
      else expect(read).toEqual(value.value)
    }
  })
})
