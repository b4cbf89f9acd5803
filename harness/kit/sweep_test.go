package kit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/deployers"
)

// named is a lab's own sweeper (no deployer), named by String.
type named struct{ *fake }

func (named) String() string { return "postgres" }

func (n named) sweeper() Sweeper {
	return struct {
		Sweeper
		fmt.Stringer
	}{n.fake, n}
}

func TestSweepListsOrRemovesAndGoesOnPastAFailure(t *testing.T) {
	vm, db, broken := newFake(deployers.VM, nil), named{newFake("", nil)}, newFake(deployers.Container, nil)
	_, _ = vm.Deploy(context.Background(), deployers.Spec{RunID: "r1"})
	_, _ = vm.Deploy(context.Background(), deployers.Spec{RunID: "other"})
	_, _ = db.Deploy(context.Background(), deployers.Spec{RunID: "r1"})
	broken.listErr = errors.New("engine gone")
	sweepers := []Sweeper{broken, vm, db.sweeper()}

	var out bytes.Buffer
	err := Sweep(context.Background(), sweepers, "r1", true, &out)
	want := "would remove vm: container vm-1 (run r1)\nwould remove postgres: container -1 (run r1)\n"
	if out.String() != want || err == nil || err.Error() != "container (fake): engine gone" {
		t.Fatalf("dry run printed %q, error %v; want %q and the broken one named", out.String(), err, want)
	}
	if len(vm.res) != 2 || len(db.res) != 1 {
		t.Fatal("a dry run removed something")
	}
	out.Reset()
	_ = Sweep(context.Background(), sweepers, "r1", false, &out)
	if !strings.Contains(out.String(), "removed vm: container vm-1") || len(vm.res) != 1 || len(db.res) != 0 {
		t.Errorf("sweep printed %q and left %v, %v: want run r1's gone and run other's kept", out.String(), vm.res, db.res)
	}
	out.Reset()
	if err := Sweep(context.Background(), []Sweeper{vm}, "r1", false, &out); err != nil || out.String() != "nothing to sweep\n" {
		t.Errorf("second sweep: %q, %v", out.String(), err)
	}
}

// A second Ctrl-C sweeps the run from every sweeper it was given, the
// lab's own included.
func TestSecondInterruptSweepsTheRun(t *testing.T) {
	t.Cleanup(func() { secondInterrupt.Store(nil) })
	SecondInterrupt() // nothing set: nothing happens
	fn, db := newFake(deployers.Lambda, nil), named{newFake("", nil)}
	_, _ = fn.Deploy(context.Background(), deployers.Spec{RunID: "r1"})
	_, _ = db.Deploy(context.Background(), deployers.Spec{RunID: "r1"})
	var out bytes.Buffer
	SweepOnSecondInterrupt("r1", []Sweeper{fn, db.sweeper()}, &out)
	SecondInterrupt()
	if len(fn.res) != 0 || len(db.res) != 0 {
		t.Errorf("left after the second Ctrl-C: %v, %v", fn.res, db.res)
	}
	for _, want := range []string{"second interrupt: sweeping run r1", "removed lambda:", "removed postgres:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
