// Command exit3 exits with status 3: the domain must end crashed, with the
// status on the console.
package main

import (
	"fmt"
	"os"

	_ "github.com/goxen/goxen/kernel"
)

func main() {
	fmt.Println("exiting with status 3")
	os.Exit(3)
}
