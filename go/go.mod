module github.com/asherah-bun-preload/asherah-bun-preload/go

// The prebuilt bytes depend on the Go release: build.sh refuses to produce
// prebuilds with any other toolchain, so a rebuild can be compared byte for byte.
go 1.23

toolchain go1.26.8
