package ladder

import (
	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/load"
)

// Observer is told what a run is doing, for progress output.
type Observer interface {
	// Phase reports that variant v entered a phase, with a short detail.
	Phase(v deployers.Variant, phase, detail string)
	// Load reports live figures during the warm load, about once a second.
	Load(v deployers.Variant, p load.Progress)
}

type nopObserver struct{}

func (nopObserver) Phase(deployers.Variant, string, string) {}
func (nopObserver) Load(deployers.Variant, load.Progress)   {}
