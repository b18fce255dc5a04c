import fc from "fast-check"

// Property tests draw a random seed locally, so every run explores new cases; in CI they use one fixed seed
// (override with FAST_CHECK_SEED), so a CI run is reproducible and a failure can be replayed exactly.
if (process.env["CI"] !== undefined || process.env["FAST_CHECK_SEED"] !== undefined)
  fc.configureGlobal({ seed: Number(process.env["FAST_CHECK_SEED"] ?? 20_261_129) })
