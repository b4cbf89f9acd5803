package cost

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// DefaultRates are the steady request rates (per second) the table shows:
// from a hobby project to a busy API, a decade apart.
var DefaultRates = []float64{0.1, 1, 10, 100, 1000}

// Table writes the monthly bill of Lambda and of each always-on option at
// each rate, then the crossover rates.
func Table(w io.Writer, m *Model, rates []float64) error {
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
			row = append(row, Dollars(o.Monthly))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write cost table: %w", err)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Crossover (Lambda is cheaper below the rate, the always-on option above it):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, o := range opts {
		c := m.Crossover(o)
		if c.Never != "" {
			fmt.Fprintf(tw, "  %s\t%s/month\tnever: %s\n", o.Name, Dollars(o.Monthly), c.Never)
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s/month\tat %s req/s (%s requests/month)\n",
			o.Name, Dollars(o.Monthly), formatRate(c.Rate), formatCount(c.Requests))
	}
	fmt.Fprintln(tw, "\nAlways-on options:")
	for _, o := range opts {
		fmt.Fprintf(tw, "  %s\t%s\n", o.Name, o.Detail)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write crossovers: %w", err)
	}
	return nil
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
