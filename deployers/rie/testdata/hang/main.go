// Command hang is a bootstrap whose init never ends: it never asks the
// runtime API for an event.
package main

import "time"

func main() {
	for {
		time.Sleep(time.Hour)
	}
}
