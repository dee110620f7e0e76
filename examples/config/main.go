// Command config shows a guest that takes its configuration from dom0 at
// boot, the first use Xen's channel design names
// (docs/man/xen-pv-channel.7.pod): it opens the PV channel
// org.goxen.config, reads one JSON object from it and prints what it got,
// then powers off.
//
// In dom0 (the box: make run BOXFLAGS='-channel org.goxen.config ...'):
//
//	echo '{"name":"web","replicas":3}' | sockcat /run/goxen/org.goxen.config.sock
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/goxen/goxen/channel"
	"github.com/goxen/goxen/xenstore"
)

const name = "org.goxen.config"

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	xs, err := xenstore.Open()
	if err != nil {
		fail("no xenstore", err)
	}
	defer xs.Close()
	ch, err := channel.Open(ctx, xs, name)
	if err != nil {
		fail("opening the channel", err)
	}
	fmt.Printf("config: channel %s open (device %d, backend domain %d); waiting for the configuration\n",
		ch.Name, ch.Dev, ch.BackendID)
	var cfg map[string]any
	if err := json.NewDecoder(ch).Decode(&cfg); err != nil {
		fail("reading the configuration", err)
	}
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Printf("config: got %d settings from dom0\n", len(cfg))
	for _, k := range keys {
		v, _ := json.Marshal(cfg[k])
		fmt.Printf("config:   %s = %s\n", k, v)
	}
	fmt.Fprintf(ch, "ok %d settings\n", len(cfg))
	if err := ch.Close(); err != nil {
		fmt.Println("config: close:", err)
	}
}

func fail(what string, err error) {
	fmt.Printf("config: %s: %v\n", what, err)
	os.Exit(1)
}
