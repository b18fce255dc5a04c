/** Bundles `entryPoints` (output name → TypeScript source) of this workspace into `outdir` as `<name>.mjs` plus chunks. */
export declare const bundleSources: (options: { readonly entryPoints: Record<string, string>; readonly outdir: string }) => Promise<void>
