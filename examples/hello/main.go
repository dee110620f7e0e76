// Command hello is the smallest Go program that runs as a Xen guest. It
// is an ordinary main package: the import that makes it a kernel is in
// board_linux.go (the stock-Go kernel) or board_tamago.go (TamaGo).
package main

import "fmt"

func main() {
	fmt.Println("hello, world")
}
