import { configDefaults, defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.ts"],
    // The consumer test installs the packed packages from the registry: `pnpm test:consumer` runs it.
    exclude: [...configDefaults.exclude, "test/consumer/**"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two workers (vitest's default on two cores is one), each running its files one after another in one
    // process: test files share the imported modules instead of importing effect, the workspace sources and
    // @fast-check/vitest (about 4 s of start-up per file with vitest 4.1) again for every file.
    maxWorkers: 2,
    isolate: false,
    setupFiles: ["test/setup.ts"],
    // Bundles the programs that tests run in child processes, once per run.
    globalSetup: ["test/globalSetup.ts"],
    // In CI a JSON report is written too, from which .ci/run prints a plain "N passed, N failed" line.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    ...(process.env.CI ? { outputFile: { json: "test-results/vitest.json" } } : {})
  }
})
