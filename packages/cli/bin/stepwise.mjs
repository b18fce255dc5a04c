#!/usr/bin/env node
// The `stepwise` command: the built JavaScript entry point (published packages ship `dist/`; in a checkout,
// `pnpm stepwise` runs the TypeScript sources instead).
import "../dist/bin.js"
