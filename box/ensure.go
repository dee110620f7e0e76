package box

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// Packages are the Debian packages the box needs on the host.
var Packages = []string{
	"qemu-system-x86",
	"xen-hypervisor-4.17-amd64",
	"xen-utils-4.17",
	"xenstore-utils",
	"qemu-system-xen", // the device model libxl starts for channels (secondary consoles)
	"linux-image-amd64",
	"busybox-static",
	"libgcc-s1",
	"xz-utils",
}

// pkgVersions asks dpkg which of pkgs are installed and at which version.
// A package that is absent or not fully installed is left out of the map.
func pkgVersions(ctx context.Context, pkgs []string) (map[string]string, error) {
	args := append([]string{"-W", "-f=${Package}\t${Version}\t${db:Status-Abbrev}\n"}, pkgs...)
	out, err := exec.CommandContext(ctx, "dpkg-query", args...).Output()
	// dpkg-query exits 1 when some package is unknown; its output still
	// lists the known ones.
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return nil, fmt.Errorf("box: dpkg-query: %w", err)
	}
	return parseDpkgQuery(string(out)), nil
}

// parseDpkgQuery reads "name<TAB>version<TAB>status" lines and keeps the
// packages whose status is "ii" (installed and configured).
func parseDpkgQuery(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || strings.TrimSpace(f[2]) != "ii" {
			continue
		}
		m[f[0]] = f[1]
	}
	return m
}

// missing lists the members of want that are not in have.
func missing(want []string, have map[string]string) []string {
	var out []string
	for _, p := range want {
		if _, ok := have[p]; !ok {
			out = append(out, p)
		}
	}
	return out
}

// ensurePackages installs whatever of pkgs is missing with apt-get,
// streaming apt's output to progress, and returns the installed versions.
func ensurePackages(ctx context.Context, pkgs []string, progress io.Writer) (map[string]string, error) {
	have, err := pkgVersions(ctx, pkgs)
	if err != nil {
		return nil, err
	}
	need := missing(pkgs, have)
	if len(need) == 0 {
		return have, nil
	}
	fmt.Fprintf(progress, "box: installing %s\n", strings.Join(need, " "))
	if geteuid() != 0 {
		return nil, fmt.Errorf("box: missing packages %s and not root; run: apt-get install %s",
			strings.Join(need, ", "), strings.Join(need, " "))
	}
	install := func() error {
		args := append([]string{"install", "-y", "--no-install-recommends"}, need...)
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		var tail tailBuffer
		cmd.Stdout = io.MultiWriter(progress, &tail)
		cmd.Stderr = io.MultiWriter(progress, &tail)
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apt-get install %s: %v: %s", strings.Join(need, " "), err, tail.String())
		}
		return nil
	}
	if err := install(); err != nil {
		// A fresh machine has no package lists yet: update once and retry.
		fmt.Fprintf(progress, "box: install failed, running apt-get update and retrying\n")
		up := exec.CommandContext(ctx, "apt-get", "update")
		up.Stdout, up.Stderr = progress, progress
		if uerr := up.Run(); uerr != nil {
			return nil, fmt.Errorf("box: %v; apt-get update also failed: %v", err, uerr)
		}
		if err := install(); err != nil {
			return nil, fmt.Errorf("box: %v", err)
		}
	}
	have, err = pkgVersions(ctx, pkgs)
	if err != nil {
		return nil, err
	}
	if still := missing(pkgs, have); len(still) > 0 {
		return nil, fmt.Errorf("box: packages still missing after apt-get install: %s", strings.Join(still, " "))
	}
	return have, nil
}

// geteuid is a variable so a test can play an unprivileged user.
var geteuid = os.Geteuid

// tailBuffer keeps the last few KiB written to it, for error messages.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2048 {
		t.b = t.b[len(t.b)-2048:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return strings.TrimSpace(string(t.b)) }

// kernelPackage finds the versioned kernel package (linux-image-6.1.0-N-amd64)
// that the linux-image-amd64 metapackage depends on.
func kernelPackage(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f=${Depends}", "linux-image-amd64").Output()
	if err != nil {
		return "", fmt.Errorf("box: dpkg-query linux-image-amd64: %w", err)
	}
	return parseKernelDepends(string(out))
}

func parseKernelDepends(dep string) (string, error) {
	for _, d := range strings.Split(dep, ",") {
		name, _, _ := strings.Cut(strings.TrimSpace(d), " ")
		if strings.HasPrefix(name, "linux-image-") && name != "linux-image-amd64" {
			return name, nil
		}
	}
	return "", fmt.Errorf("box: no versioned linux-image package in %q", dep)
}

// cacheKeyText renders the cache key inputs in a stable order, one
// "package version" per line, followed by the image recipe version.
func cacheKeyText(versions map[string]string, recipe string) string {
	names := make([]string, 0, len(versions))
	for n := range versions {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&b, "%s %s\n", n, versions[n])
	}
	fmt.Fprintf(&b, "recipe %s\n", recipe)
	return b.String()
}

// scanLines calls fn for each line of s.
func scanLines(s string, fn func(string)) {
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		fn(sc.Text())
	}
}
