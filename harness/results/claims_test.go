package results

import (
	"strings"
	"testing"
	"time"
)

func TestClaims(t *testing.T) {
	cs := Claims{ClaimOf("a", true, "saw a"), ClaimOf("b", false, "saw b")}
	if c := cs.Get("b"); c.Holds || c.Detail != "saw b" {
		t.Errorf("Get(b) = %+v", c)
	}
	if c := cs.Get("missing"); c.Holds || c.Name != "missing" {
		t.Errorf("Get(missing) = %+v, want a claim that does not hold", c)
	}
	if err := cs.Verdict(); err == nil || err.Error() != "claims that did not hold: b" {
		t.Errorf("Verdict = %v, want the claim that did not hold named", err)
	}
	if err := cs[:1].Verdict(); err != nil {
		t.Errorf("Verdict of claims that hold = %v, want nil", err)
	}
	var b strings.Builder
	WriteClosing(&b, cs, 1234567*time.Microsecond, 1, "boom", "r1")
	want := "## Claims\n\n- a: holds — saw a\n- b: **does not hold** — saw b\n\n" +
		"Teardown: 1.235s, 1 resource(s) left.\nTeardown error: boom (run `computeladder sweep --run-id r1`).\n"
	if b.String() != want {
		t.Errorf("WriteClosing:\n%s\nwant:\n%s", b.String(), want)
	}
}
