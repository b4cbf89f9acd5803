package targets

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// A missing prerequisite is a PrereqError (exit 2) that names the command
// that installs it on this OS; one that is there is named with its path.
func TestPrereqsAreInstalledOrNamedPerOS(t *testing.T) {
	missing := Prereq{Name: "frobd", Find: func() (string, error) { return "", errors.New("no") }, Apt: "frob-server", Brew: "frob"}
	self, _ := os.Executable()
	present := Prereq{Name: "self", Find: func() (string, error) { return self, nil }, Apt: "x", Brew: "x"}
	for _, tc := range []struct {
		p    Platform
		want string
	}{
		{Platform{OS: "darwin", Arch: "arm64"}, "frobd not found: install it with `brew install frob`"},
		{Platform{OS: "linux", Arch: "amd64"}, "install it with `your distribution's frobd package (Debian and Ubuntu call it frob-server)`"},
	} {
		var out strings.Builder
		err := setupPrereqs(context.Background(), tc.p, []Prereq{present, missing}, &out)
		var pe *PrereqError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a PrereqError with %q", tc.p, err, tc.want)
		}
		if !strings.Contains(out.String(), "self: "+self) {
			t.Errorf("%s: setup did not name what it found:\n%s", tc.p, out.String())
		}
	}
	// Where setup cannot install them, it names every missing one, not
	// only the first.
	other := Prereq{Name: "quuxd", Find: missing.Find, Apt: "quux", Brew: "quux"}
	err := setupPrereqs(context.Background(), Platform{OS: "darwin", Arch: "arm64"}, []Prereq{missing, present, other}, io.Discard)
	var pe *PrereqError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "`brew install frob`") || !strings.Contains(err.Error(), "`brew install quux`") {
		t.Errorf("two missing on macOS: %v, want both named with their commands", err)
	}
	if cmd, runnable := (Platform{OS: "linux", Apt: true}).Install(missing); !runnable || cmd != "sudo apt-get install -y --no-install-recommends frob-server" {
		t.Errorf("Debian: %q, %v", cmd, runnable)
	}
	err = CheckPrereqs("frob-lab", present, missing)
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "frobd not found") || !strings.Contains(err.Error(), "computeladder setup frob-lab") {
		t.Errorf("CheckPrereqs: %v", err)
	}
	if err := CheckPrereqs("frob-lab", present); err != nil {
		t.Errorf("CheckPrereqs of what is there: %v", err)
	}
}
