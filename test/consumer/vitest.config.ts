import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

// The consumer test alone (`pnpm test:consumer`): it packs and installs the packages, so it needs the npm registry
// and runs apart from `pnpm test`. In CI its JSON report joins the unit tests' in the closing summary line.
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/consumer/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    pool: "forks",
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    ...(process.env.CI ? { outputFile: { json: "test-results/consumer.json" } } : {})
  }
})
