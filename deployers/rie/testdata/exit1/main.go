// Command exit1 is a bootstrap that fails its init: it exits at once.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bootstrap: cannot start, exiting")
	os.Exit(1)
}
