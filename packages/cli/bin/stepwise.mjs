#!/usr/bin/env node
// The `stepwise` command. Installed from npm it runs the built JavaScript in `dist/`. In a checkout of the workspace
// (the packages resolve to their TypeScript sources there, so `dist/` cannot run even when built) it runs the
// workspace's launcher, which runs the command from a bundle of the sources, as `pnpm stepwise` does.
import { existsSync } from "node:fs"

const workspace = new URL("../../../pnpm-workspace.yaml", import.meta.url)
const launcher = new URL("../../../scripts/stepwise.mjs", import.meta.url)
if (existsSync(workspace) && existsSync(launcher)) await import(launcher.href)
else await import(new URL("../dist/bin.js", import.meta.url).href)
