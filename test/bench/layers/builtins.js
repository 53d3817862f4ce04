// Layer: the builtin modules src/ loads at start (as of this writing), and nothing else.
for (const name of ["node:fs", "node:path", "node:url", "node:os", "node:module", "bun:ffi", "node:worker_threads"]) require(name);
