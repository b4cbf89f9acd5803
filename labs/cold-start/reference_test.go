package coldstart

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/computeladder/computeladder/harness/kit"
)

var updateReference = flag.Bool("update-reference", false, "write the committed reference run's claims as judged today and its cold-start.md and report.html as rendered today (its figures and run id stay)")

// The committed reference run (reference/cold-start.json, which the guide
// quotes) is what today's code makes of its figures: its claims are the
// ones judge gives them, and cold-start.md is their Markdown, byte for
// byte. After a change to either, regenerate both with
// go test ./labs/cold-start -run TestReference -update-reference
func TestReferenceIsTodaysRendering(t *testing.T) {
	const dir = "reference"
	raw, err := os.ReadFile(filepath.Join(dir, Results+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var r Result
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	stored := r.Claims
	r.judge()
	if *updateReference {
		if _, err := kit.WriteResult(dir, Results, &r, Markdown, HTML); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !reflect.DeepEqual(stored, r.Claims) {
		t.Errorf("reference claims %+v, judged today %+v: run with -update-reference", stored, r.Claims)
	}
	var md bytes.Buffer
	if err := Markdown(&md, &r); err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join(dir, Results+".md"))
	if err != nil {
		t.Fatal(err)
	}
	if md.String() != string(committed) {
		t.Errorf("reference/%s.md is not today's rendering of its JSON: run with -update-reference\n--- today:\n%s", Results, md.String())
	}
}
