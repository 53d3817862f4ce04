// The warmup's grace period, shared by the start path (start.ts) and the
// general one (lifecycle.ts).
/**
 * How long the warmup thread started at process start lets the application
 * start first (go/core/abp_warmup.c wait_grace): a process that loads no Go
 * module in that time — `bun -e`, scripts, most test files — pays nothing on
 * its JavaScript thread; a guarded load ends the grace at once and waits.
 * Measured in docs/performance.md.
 */
export const WARMUP_GRACE_MS = 20;
