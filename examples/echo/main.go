// Command echo echoes every line typed into its console (`xl console`).
package main

import (
	"bufio"
	"fmt"
	"os"

	_ "github.com/goxen/goxen/kernel"
)

func main() {
	fmt.Println("echo: type lines; \"quit\" ends")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "quit" {
			fmt.Println("bye")
			return
		}
		fmt.Printf("echo: %s\n", in.Text())
	}
}
