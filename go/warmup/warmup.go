// Command warmup is built with -buildmode=c-shared into the library that
// asherah-bun-preload loads through bun:ffi at process start.
//
// It does nothing but exist: loading it starts a Go runtime, and the first
// call into it returns only once that runtime (including its signal setup)
// is initialised. The preload then repairs what the runtime changed. The
// warmup alone does not prevent the Bun hang — see docs/how-it-works.md —
// it gives the preload a well-defined moment at which a Go runtime is up.
package main

import "C"

// WarmupGoRuntime is the name the original Bun write-up used.
//
//export WarmupGoRuntime
func WarmupGoRuntime() int32 { return 1 }

// Warmup is the name GoDaddy's go-warmup artifacts export.
//
//export Warmup
func Warmup() int32 { return 1 }

func main() {}
