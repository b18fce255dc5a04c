#!/bin/sh
# Bundles a bench script and the workspace sources it imports into one ES module (V8 infers function names from their declarations), for profiling with
# node --cpu-prof: the profile then names real functions and lines (bench/profile-summary.ts maps them to modules).
#   bench/bundle.sh bench/search-speed.ts /tmp/prof/speed.mjs
set -e
exec "$(dirname "$0")/../node_modules/.bin/esbuild" "$1" --bundle --platform=node --format=esm \
  --outfile="$2" --log-level=warning --external:node-llama-cpp --external:'@node-llama-cpp/*' \
  --banner:js="import { createRequire } from 'module'; const require = createRequire(import.meta.url);"
