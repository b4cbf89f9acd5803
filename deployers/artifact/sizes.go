package artifact

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
)

// MiB is 2^20 bytes, the unit of the size budgets.
const MiB = 1 << 20

// Size budgets. A Go app that outgrows them has pulled in something heavy
// (an SDK, a web framework): exactly what the thin-adapter lesson is about.
const (
	// FunctionZipBudget bounds function.zip; the smaller the package, the
	// less a cold start has to fetch and unpack.
	FunctionZipBudget = 6 * MiB
	// ContainerImageBudget bounds the FROM scratch image, whose only layer
	// is the container binary.
	ContainerImageBudget = 12 * MiB
)

// Size is one row of the size table.
type Size struct {
	Name   string `json:"name"`   // e.g. "function.zip"
	Path   string `json:"path"`   // absolute path
	Bytes  int64  `json:"bytes"`  // size on disk
	Budget int64  `json:"budget"` // 0: no budget
}

// Over reports whether the artifact exceeds its budget.
func (s Size) Over() bool { return s.Budget > 0 && s.Bytes > s.Budget }

// ContainerBinary is the binary in the container build context (and the
// only layer of the image).
func (s *Set) ContainerBinary() string { return filepath.Join(s.ContainerContext, ContainerBin) }

// Files lists every file of the set.
func (s *Set) Files() []string {
	return []string{s.VMBinary, s.VMUnit, s.Bootstrap, s.FunctionZip,
		s.ContainerBinary(), filepath.Join(s.ContainerContext, "Dockerfile")}
}

// Sizes measures the artifacts on disk, with their budgets.
func (s *Set) Sizes() ([]Size, error) {
	rows := []Size{
		{Name: "vm binary", Path: s.VMBinary},
		{Name: "lambda bootstrap", Path: s.Bootstrap},
		{Name: "function.zip", Path: s.FunctionZip, Budget: FunctionZipBudget},
		{Name: "container image (binary)", Path: s.ContainerBinary(), Budget: ContainerImageBudget},
	}
	for i := range rows {
		fi, err := os.Stat(rows[i].Path)
		if err != nil {
			return nil, fmt.Errorf("size of %s: %w", rows[i].Name, err)
		}
		rows[i].Bytes = fi.Size()
	}
	return rows, nil
}

// CheckBudgets returns an error naming every artifact over its budget.
func CheckBudgets(sizes []Size) error {
	var errs []error
	for _, s := range sizes {
		if s.Over() {
			errs = append(errs, fmt.Errorf("%s is %s, over its %s budget: look for a heavy new dependency (go version -m %s)",
				s.Name, mib(s.Bytes), mib(s.Budget), s.Path))
		}
	}
	return errors.Join(errs...)
}

// WriteSizes writes the size table, one artifact a line.
func WriteSizes(w io.Writer, sizes []Size) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ARTIFACT\tSIZE\tBUDGET")
	for _, s := range sizes {
		budget, verdict := "-", ""
		if s.Budget > 0 {
			budget, verdict = mib(s.Budget), "ok"
			if s.Over() {
				verdict = "OVER BUDGET"
			}
		}
		line := s.Name + "\t" + mib(s.Bytes) + "\t" + budget
		if verdict != "" {
			line += "\t" + verdict // no trailing cell: tabwriter would pad it with spaces
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/MiB) }
