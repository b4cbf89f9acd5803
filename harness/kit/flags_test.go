package kit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/harness/targets"
)

// parse registers f's flags on a fresh command and parses args.
func parse(t *testing.T, args []string, register func(*cobra.Command)) {
	t.Helper()
	cmd := &cobra.Command{}
	register(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
}

// Bad flags are one-line usage errors (exit 2), before anything is made.
func TestFlagsValidate(t *testing.T) {
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}
	for _, tc := range []struct {
		args   []string
		target bool
		want   string
	}{
		{[]string{"--run-id", "Not OK"}, false, "run id"},
		{[]string{"--arch", "mips"}, false, "--arch: arch \"mips\": use amd64 or arm64"},
		{[]string{"--accel", "whpx"}, false, `unknown accelerator "whpx"`},
		{[]string{"--target", "gcp"}, true, `--target "gcp"`},
		{[]string{"--endpoint", "http://127.0.0.1:4566"}, true, "--endpoint goes with"},
		{[]string{"--memory", "-5"}, true, "--memory -5"},
		{[]string{"--ingress", "0.0.0.0/0"}, true, "whole internet"},
		{[]string{"--ingress", "me"}, true, "use a CIDR"},
		{[]string{"--accel", map[string]string{"linux": "kvm", "darwin": "hvf"}[runtime.GOOS], "--arch", other[runtime.GOARCH]}, true, "only TCG emulates another architecture"},
	} {
		var err error
		if tc.target {
			var f TargetFlags
			parse(t, tc.args, func(c *cobra.Command) { f.Register(c.Flags()) })
			err = f.Validate()
		} else {
			var f Flags
			parse(t, tc.args, func(c *cobra.Command) { f.Register(c.Flags(), WithAccel()) })
			err = f.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || ExitCode(err) != 2 || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v (exit %d), want one line with %q and exit 2", tc.args, err, ExitCode(err), tc.want)
		}
	}
	var f Flags
	parse(t, []string{"--accel", "whpx"}, func(c *cobra.Command) { f.Register(c.Flags(), WithAccel()) })
	f.accel = false
	if err := f.Validate(); err != nil {
		t.Errorf("a lab without --accel checked it: %v", err)
	}
}

func TestExitCode(t *testing.T) {
	for err, want := range map[error]int{
		nil:                                      0,
		Usage(errors.New("bad")):                 2,
		fmt.Errorf("wrapped: %w", Usage(io.EOF)): 2,
		&targets.PrereqError{Msg: "no QEMU"}:     2,
		errors.New("unknown flag: --x"):          2,
		errors.New("deploy: boom"):               1,
	} {
		if got := ExitCode(err); got != want {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, want)
		}
	}
}

func TestParseVariants(t *testing.T) {
	if vs, err := ParseVariants("all"); err != nil || len(vs) != 3 {
		t.Errorf("all = %v, %v", vs, err)
	}
	if vs, err := ParseVariants("lambda"); err != nil || len(vs) != 1 || vs[0] != "lambda" {
		t.Errorf("lambda = %v, %v", vs, err)
	}
	if _, err := ParseVariants("mainframe"); err == nil || ExitCode(err) != 2 {
		t.Errorf("mainframe: %v, want a usage error", err)
	}
}

type doc struct {
	RunID string `json:"run_id"`
}

func writeDoc(dir string, d *doc) (string, error) {
	return WriteResult(dir, "demo", d, func(w io.Writer, d *doc) error { _, err := fmt.Fprintf(w, "# demo %s\n", d.RunID); return err }, nil)
}

func markdownDoc(w io.Writer, d *doc) error {
	_, err := fmt.Fprintf(w, "summary of %s\n", d.RunID)
	return err
}

// Emit writes the result, prints its summary (or its JSON), and keeps the
// run's error.
func TestEmit(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		var out, errOut bytes.Buffer
		cmd := &cobra.Command{}
		cmd.SetOut(&out)
		f := &Flags{Out: t.TempDir(), Output: OutputTable}
		if asJSON {
			f.Output = OutputJSON
		}
		s := &Session{RunID: "r1", Progress: NewProgress(&errOut), cmd: cmd, flags: f}
		runErr := errors.New("variant failed")
		err := Emit(s, &doc{RunID: "r1"}, runErr, writeDoc, markdownDoc)
		if !errors.Is(err, runErr) {
			t.Errorf("json %v: Emit = %v, want the run's error kept", asJSON, err)
		}
		for _, name := range []string{"demo.json", "demo.md"} {
			if _, err := os.Stat(filepath.Join(f.Out, "r1", name)); err != nil {
				t.Errorf("json %v: %s not written: %v", asJSON, name, err)
			}
		}
		var d doc
		if asJSON && (json.Unmarshal(out.Bytes(), &d) != nil || d.RunID != "r1") {
			t.Errorf("--json printed %q", out.String())
		}
		if !asJSON && out.String() != "summary of r1\n" {
			t.Errorf("printed %q, want the summary", out.String())
		}
		if !strings.Contains(errOut.String(), "results: "+filepath.Join(f.Out, "r1", "demo.json")) {
			t.Errorf("progress %q does not name the results", errOut.String())
		}
	}
	if err := Emit[doc](&Session{}, nil, io.EOF, writeDoc, markdownDoc); err != io.EOF {
		t.Errorf("Emit of no result = %v, want the run's error", err)
	}
}
