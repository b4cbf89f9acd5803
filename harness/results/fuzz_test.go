package results

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzRead: whatever a class hands in, Read returns an error or a run of
// this schema with a valid label — never a panic — and what it returns
// survives being written and read again unchanged.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"schema_version":2,"run_id":"r1","label":"Ada","target":"local","machine":{"os":"linux","cpu_model":"AMD EPYC","docker_version":"20.10.24"},"variants":[{"variant":"vm","accel":"kvm","startup":{"total":{"n":1,"median_ns":300000000}}}]}`))
	f.Add([]byte(`{"schema_version":1,"run_id":"old","variants":[{"variant":"container","warm":{"result":{"rate":2000000000,"duration_ns":1000000000,"samples":[{"code":200,"latency_ns":5}]}}}]}`))
	f.Add([]byte(`{"schema_version":2,"run_id":"r1","label":"A\u202eB"}`))
	f.Add([]byte(`{"schema_version":2,"run_id":"r1","variants":[{"varia`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, in []byte) {
		run, err := Read(bytes.NewReader(in))
		if err != nil {
			if run != nil {
				t.Fatal("Read returned a run with its error")
			}
			return
		}
		if run.SchemaVersion != SchemaVersion {
			t.Fatalf("Read returned schema version %d", run.SchemaVersion)
		}
		if err := ValidateLabel(run.Label); err != nil {
			t.Fatalf("Read returned an invalid label: %v", err)
		}
		a, err := json.Marshal(run)
		if err != nil {
			return // a value JSON cannot carry back out (a time beyond year 9999): not Read's to judge
		}
		again, err := Read(bytes.NewReader(a))
		if err != nil {
			t.Fatalf("Read rejects what it returned: %v\n%s", err, a)
		}
		b, _ := json.Marshal(again)
		if !bytes.Equal(a, b) {
			t.Fatalf("a second read changed the run:\n%s\n%s", a, b)
		}
	})
}
