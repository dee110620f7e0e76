package box

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

//go:embed init.sh
var initScript string

// recipeVersion changes whenever the image layout changes, so that old
// cached images are not reused.
const recipeVersion = "3"

const xenBinDir = "/usr/lib/xen-4.17/bin"

// dom0Tools are the toolstack programs the dom0 image carries.
var dom0Tools = []string{
	xenBinDir + "/xl",
	xenBinDir + "/xenstored",
	xenBinDir + "/xenconsoled",
	xenBinDir + "/xen-init-dom0",
	xenBinDir + "/xenconsole",
	xenBinDir + "/xenctx", // registers of a crashed guest
	"/usr/bin/xenstore",   // multi-call: xenstore-read etc. by argv[0]
	// QEMU as libxl's device model for PV and PVH guests (-machine xenpv):
	// the backend of channels, which xenconsoled does not serve
	// (libxl_dm.c, libxl__need_xenpv_qemu). Debian's libxl runs it from here.
	"/usr/libexec/xen-qemu-system-i386",
	xenBinDir + "/vchan-socket-proxy", // a vchan as a Unix socket (tools/vchan)
}

// dom0Data are data files the dom0 tools read: QEMU loads a keymap even
// for libxl's "-vnc none".
var dom0Data = []string{"/usr/share/qemu/keymaps/en-us"}

// dom0Modules are the kernel modules xl needs in dom0 (plus their
// dependencies from modules.dep).
var dom0Modules = []string{"xen-evtchn", "xen-privcmd", "xenfs", "xen-gntdev", "xen-gntalloc"}

// Assets are the host files a boot needs, built once per package set.
type Assets struct {
	Dir           string // cache directory holding the files below
	Key           string // cache key (hex)
	Xen           string // gunzipped Xen ELF for QEMU's -kernel
	Vmlinuz       string // Debian's Linux, booted as PV dom0 in domU mode
	Dom0Initrd    string // dom0.cpio.gz: busybox, modules, xl toolstack
	KernelVersion string // e.g. 6.1.0-56-amd64
	Versions      map[string]string
}

// CacheRoot is where Ensure keeps its images: $XENBOX_CACHE, else
// build/box under the Go module root above the working directory,
// else the user cache directory.
func CacheRoot() string {
	if d := os.Getenv("XENBOX_CACHE"); d != "" {
		return d
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				return filepath.Join(d, "build", "box")
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "xenbox")
	}
	return filepath.Join(os.TempDir(), "xenbox")
}

// Ensure installs missing packages and builds (or finds in the cache)
// the Xen binary and dom0 image. Progress messages go to progress.
func Ensure(ctx context.Context, progress io.Writer) (*Assets, error) {
	if progress == nil {
		progress = io.Discard
	}
	versions, err := ensurePackages(ctx, Packages, progress)
	if err != nil {
		return nil, err
	}
	kpkg, err := kernelPackage(ctx)
	if err != nil {
		return nil, err
	}
	kv, err := pkgVersions(ctx, []string{kpkg})
	if err != nil {
		return nil, err
	}
	if _, ok := kv[kpkg]; !ok {
		return nil, fmt.Errorf("box: kernel package %s is not installed", kpkg)
	}
	versions[kpkg] = kv[kpkg]
	key := cacheKey(versions)
	kver := strings.TrimPrefix(kpkg, "linux-image-")
	dir := filepath.Join(CacheRoot(), key)
	a := &Assets{
		Dir: dir, Key: key, Versions: versions, KernelVersion: kver,
		Xen:        filepath.Join(dir, "xen"),
		Vmlinuz:    filepath.Join(dir, "vmlinuz"),
		Dom0Initrd: filepath.Join(dir, "dom0.cpio.gz"),
	}
	if _, err := os.Stat(a.Dom0Initrd); err == nil {
		fmt.Fprintf(progress, "box: using cached dom0 image %s\n", dir)
		return a, nil
	}
	fmt.Fprintf(progress, "box: building dom0 image in %s\n", dir)
	// Build beside the final place and rename, so a crash or a second
	// process never sees a half-built image.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("box: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), key+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("box: %w", err)
	}
	if err := buildAssets(ctx, tmp, kver, progress); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if _, err := os.Stat(a.Dom0Initrd); err == nil {
		os.RemoveAll(tmp) // another process finished first
		return a, nil
	}
	os.RemoveAll(dir)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("box: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("box: %w", err)
	}
	os.WriteFile(filepath.Join(dir, "key.txt"), []byte(cacheKeyText(versions, recipeVersion)), 0o644)
	return a, nil
}

// cacheKey names the cache directory: a hash of the package versions and
// the image recipe (init.sh and the lists of files included), so that a
// changed recipe gets an image of its own.
func cacheKey(versions map[string]string) string {
	recipe := recipeVersion + "\n" + initScript + "\n" + strings.Join(dom0Tools, " ") + "\n" +
		strings.Join(dom0Data, " ") + "\n" + strings.Join(dom0Modules, " ")
	sum := sha256.Sum256([]byte(cacheKeyText(versions, recipe)))
	return hex.EncodeToString(sum[:8])
}

func buildAssets(ctx context.Context, dir, kver string, progress io.Writer) error {
	// QEMU's multiboot loader wants the plain ELF, not xen.gz.
	xz, err := os.ReadFile("/boot/xen-4.17-amd64.gz")
	if err != nil {
		return fmt.Errorf("box: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(xz))
	if err != nil {
		return fmt.Errorf("box: /boot/xen-4.17-amd64.gz: %w", err)
	}
	xen, err := io.ReadAll(zr)
	if err != nil {
		return fmt.Errorf("box: /boot/xen-4.17-amd64.gz: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "xen"), xen, 0o644); err != nil {
		return fmt.Errorf("box: %w", err)
	}
	vml, err := os.ReadFile("/boot/vmlinuz-" + kver)
	if err != nil {
		return fmt.Errorf("box: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "vmlinuz"), vml, 0o644); err != nil {
		return fmt.Errorf("box: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, "dom0.cpio.gz"))
	if err != nil {
		return fmt.Errorf("box: %w", err)
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	if err := writeDom0Image(ctx, gz, kver, progress); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("box: %w", err)
	}
	return f.Close()
}

func writeDom0Image(ctx context.Context, w io.Writer, kver string, progress io.Writer) error {
	c := newCPIO(w)
	for _, d := range []string{"proc", "sys", "dev", "run", "tmp", "box", "var/lock", "var/lib/xen",
		"var/log/xen", "etc/xen", "root"} {
		c.Dir(d)
	}
	c.Symlink("var/run", "/run")
	c.CharDev("dev/console", 5, 1)
	c.File("init", 0o755, []byte(initScript))
	c.File("etc/xen/xl.conf", 0o644, nil) // else xl complains on every call

	// busybox and one symlink per applet.
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return fmt.Errorf("box: %w", err)
	}
	c.File("bin/busybox", 0o755, bb)
	list, err := exec.CommandContext(ctx, "/bin/busybox", "--list").Output()
	if err != nil {
		return fmt.Errorf("box: busybox --list: %w", err)
	}
	for _, a := range strings.Fields(string(list)) {
		if a != "busybox" {
			c.Symlink("bin/"+a, "busybox")
		}
	}

	// Toolstack binaries and the shared libraries ldd says they use.
	libs := map[string]bool{"/lib/x86_64-linux-gnu/libgcc_s.so.1": true} // xl console's pthread_cancel
	for _, t := range dom0Tools {
		data, err := os.ReadFile(t)
		if err != nil {
			return fmt.Errorf("box: %w", err)
		}
		c.File(strings.TrimPrefix(t, "/"), 0o755, data)
		out, err := exec.CommandContext(ctx, "ldd", t).Output()
		if err != nil {
			return fmt.Errorf("box: ldd %s: %w", t, err)
		}
		for _, l := range parseLDD(string(out)) {
			libs[l] = true
		}
	}
	for _, f := range dom0Data {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("box: %w", err)
		}
		c.File(strings.TrimPrefix(f, "/"), 0o644, data)
	}
	c.Symlink("usr/bin/xenstore-read", "xenstore")
	c.Symlink("usr/bin/xenstore-write", "xenstore")
	c.Symlink("usr/bin/xenstore-ls", "xenstore")
	var libList []string
	for l := range libs {
		libList = append(libList, l)
	}
	sort.Strings(libList)
	for _, l := range libList {
		data, err := os.ReadFile(l) // follows symlinks: store the file under the name asked for
		if err != nil {
			return fmt.Errorf("box: library %s: %w", l, err)
		}
		c.File(strings.TrimPrefix(l, "/"), 0o755, data)
	}
	// /lib64/ld-linux-x86-64.so.2 must resolve via /lib64 and /lib.
	c.Symlink("usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu")

	// Kernel modules, decompressed, in load order.
	modDir := "/lib/modules/" + kver
	dep, err := os.ReadFile(modDir + "/modules.dep")
	if err != nil {
		return fmt.Errorf("box: %w", err)
	}
	builtin, _ := os.ReadFile(modDir + "/modules.builtin")
	order, err := moduleOrder(string(dep), string(builtin), dom0Modules)
	if err != nil {
		return err
	}
	var names []string
	for _, rel := range order {
		data, err := readModule(ctx, filepath.Join(modDir, rel))
		if err != nil {
			return err
		}
		name := moduleBase(rel) + ".ko"
		c.File("lib/modules/box/"+name, 0o644, data)
		names = append(names, name)
	}
	c.File("lib/modules/box/order", 0o644, []byte(strings.Join(names, "\n")+"\n"))
	fmt.Fprintf(progress, "box: dom0 image: %d libraries, modules %s\n", len(libList), strings.Join(names, " "))
	return c.Close()
}

var lddLine = regexp.MustCompile(`(?:=>\s*)?(/\S+)\s+\(0x`)

// parseLDD returns the absolute library paths in ldd's output: the
// "name => /path (0x...)" lines and the bare "/lib64/ld-linux... (0x...)".
func parseLDD(out string) []string {
	var libs []string
	for _, l := range strings.Split(out, "\n") {
		if m := lddLine.FindStringSubmatch(l); m != nil {
			libs = append(libs, m[1])
		}
	}
	return libs
}

// moduleBase turns "kernel/drivers/xen/xenfs/xenfs.ko.xz" into "xenfs".
func moduleBase(path string) string {
	b := filepath.Base(path)
	if i := strings.Index(b, ".ko"); i >= 0 {
		b = b[:i]
	}
	return b
}

// normMod makes module names comparable: the kernel treats - and _ alike.
func normMod(s string) string { return strings.ReplaceAll(s, "-", "_") }

// moduleOrder resolves wanted module names against modules.dep and
// returns the module files (relative paths) to load, dependencies first.
// Modules built into the kernel (modules.builtin) are skipped.
func moduleOrder(dep, builtin string, wanted []string) ([]string, error) {
	deps := map[string][]string{}
	byName := map[string]string{}
	for _, l := range strings.Split(dep, "\n") {
		mod, rest, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		deps[mod] = strings.Fields(rest)
		byName[normMod(moduleBase(mod))] = mod
	}
	isBuiltin := map[string]bool{}
	for _, l := range strings.Fields(builtin) {
		isBuiltin[normMod(moduleBase(l))] = true
	}
	var order []string
	done := map[string]bool{}
	var visit func(mod string, depth int) error
	visit = func(mod string, depth int) error {
		if done[mod] {
			return nil
		}
		if depth > 50 {
			return fmt.Errorf("box: module dependency loop at %s", mod)
		}
		done[mod] = true
		for _, d := range deps[mod] {
			if err := visit(d, depth+1); err != nil {
				return err
			}
		}
		order = append(order, mod)
		return nil
	}
	for _, w := range wanted {
		n := normMod(w)
		if isBuiltin[n] {
			continue
		}
		mod, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("box: module %s is neither in modules.dep nor built in", w)
		}
		if err := visit(mod, 0); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// readModule reads a module file, decompressing .ko.xz/.ko.gz/.ko.zst
// so busybox insmod can load it.
func readModule(ctx context.Context, path string) ([]byte, error) {
	var tool []string
	switch {
	case strings.HasSuffix(path, ".ko"):
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("box: %w", err)
		}
		return b, nil
	case strings.HasSuffix(path, ".xz"):
		tool = []string{"xz", "-dc", path}
	case strings.HasSuffix(path, ".gz"):
		tool = []string{"gzip", "-dc", path}
	case strings.HasSuffix(path, ".zst"):
		tool = []string{"zstd", "-dc", path}
	default:
		return nil, fmt.Errorf("box: module %s: unknown compression", path)
	}
	out, err := exec.CommandContext(ctx, tool[0], tool[1:]...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%v: %s", err, ee.Stderr)
		}
		return nil, fmt.Errorf("box: decompress %s: %w", path, err)
	}
	return out, nil
}
