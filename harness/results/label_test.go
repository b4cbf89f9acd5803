package results

import (
	"strings"
	"testing"
)

func TestValidateLabel(t *testing.T) {
	for _, ok := range []string{"", "Ada", "group 3", "Zoë Müller-Łukasiewicz", "Team B / Ana & Raj", "李雷", strings.Repeat("é", MaxLabelLen)} {
		if err := ValidateLabel(ok); err != nil {
			t.Errorf("ValidateLabel(%q) = %v, want nil", ok, err)
		}
	}
	for _, tc := range []struct{ label, want string }{
		{"Ada\nBob", "U+000A, a control or invisible character"},
		{"Ada\tB", "U+0009"},
		{"\x1b[31mred", "U+001B"},
		{"Ada\u202eevil", "U+202E"}, // right-to-left override
		{"A\u200bda", "U+200B"},     // zero-width space
		{strings.Repeat("x", MaxLabelLen+1), "65 characters long: use at most 64"},
		{"\xff\xfe", "not valid UTF-8"},
		{" Ada", "remove the spaces around it"},
		{"Ada ", "remove the spaces around it"},
	} {
		err := ValidateLabel(tc.label)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ValidateLabel(%q) = %v, want it to mention %q", tc.label, err, tc.want)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\n\x1b") {
			t.Errorf("ValidateLabel(%q): the error itself carries the control character: %q", tc.label, err)
		}
	}
}

// A document whose label could not have come from run --label is not a
// results.json the harness wrote: Read says so.
func TestReadRejectsBadLabel(t *testing.T) {
	_, err := Read(strings.NewReader(`{"schema_version":2,"run_id":"r","label":"a\nb"}`))
	if err == nil || !strings.Contains(err.Error(), "U+000A") {
		t.Fatalf("Read error = %v, want the label's control character named", err)
	}
}
