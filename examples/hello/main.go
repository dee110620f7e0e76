// Command hello is the smallest Go program that runs as a Xen guest.
package main

import "fmt"

func main() {
	fmt.Println("hello, world")
}
