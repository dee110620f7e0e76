// Package scripts holds goxen's shell for dom0 of a real Xen host
// (goxen-run, and smoke-runner, a link to it; see README.md) and its host
// tests: they run the script under every POSIX shell the machine has
// (bash, dash, busybox sh) against a fake xl on PATH that plays a domain,
// so its races and xl's failures can be staged without Xen. The box tests
// in kernel/boxtest run the same script against real xl.
package scripts
