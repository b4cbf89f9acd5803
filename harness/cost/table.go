package cost

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// DefaultRates are the steady request rates (per second) the table shows:
// from a hobby project to a busy API, a decade apart: far enough for the
// always-on side to need more than one instance.
var DefaultRates = []float64{0.1, 1, 10, 100, 1000, 10000}

// Table writes the monthly bill of Lambda and of each always-on option at
// each rate — the always-on bill with the instances the rate needs (the
// model's Capacity), so it rises in steps —, then the crossover rates and
// how the options are priced and sized.
func Table(w io.Writer, m *Model, rates []float64) error {
	if err := m.Sized(); err != nil {
		return err
	}
	opts := m.AlwaysOn()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"req/s", "requests/month", "lambda"}
	for _, o := range opts {
		head = append(head, o.Name)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, r := range rates {
		n := RequestsPerMonth(r)
		row := []string{formatRate(r), formatCount(n), Dollars(m.LambdaMonthly(n))}
		for _, o := range opts {
			row = append(row, fmt.Sprintf("%s (%d)", Dollars(AlwaysOnMonthly(o, r)), Instances(o, r)))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write cost table: %w", err)
	}
	fmt.Fprintln(w, "(n): instances the rate needs.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Crossover (Lambda is cheaper below the rate, the always-on option above it):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, o := range opts {
		fmt.Fprintf(tw, "  %s\t%s\n", o.Name, CrossoverText(m.Crossover(o)))
	}
	fmt.Fprintln(tw, "\nAlways-on options (one instance):")
	for _, o := range opts {
		fmt.Fprintf(tw, "  %s\t%s; serves %s req/s (%g vCPU)\n", o.Name, o.Detail, formatRate(o.Capacity), o.VCPU)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write crossovers: %w", err)
	}
	fmt.Fprintf(w, "\nSizing: %s.\n", m.Config().Capacity.Assumption())
	return nil
}

// CrossoverText says where c lies, in a line: "at 18.2 req/s (47.83 M
// requests/month, 1 instance)", with the windows where Lambda is cheaper
// again past it, or "never: why".
func CrossoverText(c Crossover) string {
	if c.Never != "" {
		return "never: " + c.Never
	}
	s := fmt.Sprintf("at %s req/s (%s requests/month, %d instance%s, %s/month)",
		formatRate(c.Rate), formatCount(c.Requests), c.Instances, plural(c.Instances), Dollars(float64(c.Instances)*c.Option.Monthly))
	if c.Beyond > c.Rate {
		s += fmt.Sprintf("; just past each added instance Lambda is cheaper again, up to %s req/s", formatRate(c.Beyond))
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Dollars formats a monthly bill: cents above a dollar, more digits below,
// because a hobby-scale Lambda bill is a fraction of a cent.
func Dollars(v float64) string {
	switch {
	case v == 0:
		return "$0"
	case v < 0.01:
		return fmt.Sprintf("$%.4f", v)
	case v < 1:
		return fmt.Sprintf("$%.3f", v)
	}
	return fmt.Sprintf("$%.2f", v)
}

func formatRate(r float64) string {
	if r > 0 && r < 0.01 {
		// Two significant digits: a small capacity (--capacity-rps) is
		// not "0 req/s".
		return strconv.FormatFloat(r, 'g', 2, 64)
	}
	if r < 10 {
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", r), "0"), ".")
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", r), ".0")
}

func formatCount(n float64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f B", n/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2f M", n/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f k", n/1e3)
	}
	return fmt.Sprintf("%.0f", n)
}
