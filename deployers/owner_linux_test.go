package deployers

import "testing"

func TestStatStart(t *testing.T) {
	// A command name with spaces and parentheses; the start time is field 22.
	line := "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 12345678 100 18446744073709551615"
	if got, err := statStart(line); err != nil || got != "987654" {
		t.Errorf("statStart = %q, %v; want 987654", got, err)
	}
	zombie := "4242 (sh) Z 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 0 0"
	if _, err := statStart(zombie); err == nil {
		t.Error("a zombie has a start time")
	}
	if _, err := statStart("4242 (sh) S 1 2"); err == nil {
		t.Error("a short line has a start time")
	}
}
