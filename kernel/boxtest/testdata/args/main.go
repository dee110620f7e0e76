// Command args prints its arguments and environment: the Xen command line
// becomes os.Args[1:], and KEY=VALUE words before "--" the environment.
package main

import (
	"fmt"
	"os"
	"strings"

	_ "github.com/goxen/goxen/kernel"
)

func main() {
	fmt.Printf("args %q\n", os.Args[1:])
	fmt.Printf("GREETING=%q\n", os.Getenv("GREETING"))
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "GO") {
			fmt.Println("env", e)
		}
	}
}
