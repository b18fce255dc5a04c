import { configDefaults, defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.ts"],
    // The consumer test installs the packed packages from the registry: `pnpm test:consumer` runs it.
    exclude: [...configDefaults.exclude, "test/consumer/**"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    setupFiles: ["test/setup.ts"],
    // In CI a JSON report is written too, from which .ci/run prints a plain "N passed, N failed" line.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    ...(process.env.CI ? { outputFile: { json: "test-results/vitest.json" } } : {})
  }
})
