package kit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
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

// SweepLeftovers leaves a run alone when any of its resources has a live
// owner (here this test process), says so, and removes it with Force; a
// run whose owner has exited goes.
func TestSweepLeftoversSkipsLiveOwners(t *testing.T) {
	vm, db := newFake(deployers.VM, nil), named{newFake("", nil)}
	child := exec.Command("true")
	if err := child.Run(); err != nil {
		t.Fatal(err)
	}
	me, _ := deployers.ParseOwner(deployers.Self())
	dead := me
	dead.PID = child.Process.Pid
	vm.res["live-vm"] = deployers.Resource{Kind: "qemu-vm", ID: "live-vm", RunID: "live"}                             // no owner here...
	db.res["live-db"] = deployers.Resource{Kind: "postgres-server", ID: "live-db", RunID: "live", Owner: me.String()} // ...but a live one here
	vm.res["dead-vm"] = deployers.Resource{Kind: "qemu-vm", ID: "dead-vm", RunID: "dead", Owner: dead.String()}
	vm.res["old-vm"] = deployers.Resource{Kind: "qemu-vm", ID: "old-vm", RunID: "old"}
	sweepers := []Sweeper{vm, db.sweeper()}

	var out bytes.Buffer
	if err := SweepLeftovers(context.Background(), sweepers, SweepOptions{DryRun: true}, &out); err != nil {
		t.Fatal(err)
	}
	if len(vm.res) != 3 || len(db.res) != 1 {
		t.Fatal("a dry run removed something")
	}
	out.Reset()
	if err := SweepLeftovers(context.Background(), sweepers, SweepOptions{}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"skipped run live (2 resources): owner pid " + fmt.Sprint(me.PID) + " on this host is still running",
		"--force removes it", "removed vm: qemu-vm dead-vm (run dead)", "removed vm: qemu-vm old-vm (run old)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("sweep output lacks %q:\n%s", want, out.String())
		}
	}
	if _, ok := vm.res["live-vm"]; !ok || len(vm.res) != 1 || len(db.res) != 1 {
		t.Fatalf("after the sweep: %v, %v; want run live kept whole and the others gone", vm.res, db.res)
	}
	out.Reset()
	if err := SweepLeftovers(context.Background(), sweepers, SweepOptions{}, &out); err != nil || !strings.Contains(out.String(), "nothing swept: 1 run(s) still owned by a live process") {
		t.Errorf("second sweep: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := SweepLeftovers(context.Background(), sweepers, SweepOptions{RunID: "live", Force: true}, &out); err != nil {
		t.Fatal(err)
	}
	if len(vm.res) != 0 || len(db.res) != 0 || !strings.Contains(out.String(), "removed postgres: postgres-server live-db") {
		t.Errorf("--force left %v, %v:\n%s", vm.res, db.res, out.String())
	}
}
