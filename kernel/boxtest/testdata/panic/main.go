// Command panic panics: Go's trace must reach the console and the domain
// must end crashed.
package main

import _ "github.com/goxen/goxen/kernel"

func main() {
	defer println("deferred call ran")
	panic("boom from the guest")
}
