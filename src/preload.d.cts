// dist/preload.cjs, the start path's bundle (scripts/build.ts): what Bun's
// CommonJS wrapper of it exports when it ran (dist/index.js, src/entry.ts).
export declare const started: true;
