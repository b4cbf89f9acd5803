package report

import (
	"strings"
	"testing"
	"time"
)

func TestPublishedFiguresCarryTheirSources(t *testing.T) {
	figs, err := Published()
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) == 0 {
		t.Fatal("published.json holds no figure")
	}
	for _, bad := range []struct{ json, want string }{
		{`{"figures":[{"row":"nonsense","variant":"vm","figure":"x","source":{"title":"t","url":"https://x","date":"2026"}}]}`, "not a row of the ladder table"},
		{`{"figures":[{"row":"warm p50","variant":"mainframe","figure":"x","source":{"title":"t","url":"https://x","date":"2026"}}]}`, "unknown variant"},
		{`{"figures":[{"row":"warm p50","variant":"vm","figure":"x","source":{"title":"t","url":"https://x"}}]}`, "a date"},
		{`{"figures":[{"row":"warm p50","variant":"vm","figure":"x","source":{"title":"t","url":"file:///x","date":"2026"}}]}`, "https URL"},
		{`{"figures":`, "published figures"},
	} {
		_, err := parsePublished([]byte(bad.json))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("parsePublished(%s) = %v, want an error saying %q", bad.json, err, bad.want)
		}
	}
}

func TestAxisTicks(t *testing.T) {
	a := Duration("t", 3*time.Millisecond, 420*time.Millisecond, true)
	if a.Min != float64(time.Millisecond) || a.Max != float64(time.Second) {
		t.Errorf("log axis 3 ms–420 ms spans %v–%v, want whole decades 1 ms–1 s", time.Duration(a.Min), time.Duration(a.Max))
	}
	var got []string
	for _, v := range a.Ticks() {
		got = append(got, a.format(v))
	}
	if strings.Join(got, ",") != "1.00 ms,10.0 ms,100 ms,1.00 s" {
		t.Errorf("log ticks %v", got)
	}
	c := Count("n", 37)
	got = nil
	for _, v := range c.Ticks() {
		got = append(got, c.format(v))
	}
	if strings.Join(got, ",") != "0,10,20,30,40" {
		t.Errorf("linear ticks of 0–37: %v", got)
	}
	c = Count("n", 12)
	got = nil
	for _, v := range c.Ticks() {
		got = append(got, c.format(v))
	}
	if strings.Join(got, ",") != "0,5,10,15" {
		t.Errorf("count ticks of 0–12: %v (whole numbers, no 2.5 steps)", got)
	}
	if got := Count("n", 3).Ticks(); len(got) != 4 || got[1] != 1 {
		t.Errorf("count ticks of 0–3: %v, want 0, 1, 2, 3", got)
	}
	c = Count("n", 37)
	if f := c.frac(20); f != 0.5 {
		t.Errorf("20 on 0–40 at %v, want 0.5", f)
	}
}

// A strip chart draws a mark per dot, rings the ringed ones and writes
// the named ones under the axis in the order of their values, whatever
// the order of the dots.
func TestStripChartNamesInValueOrder(t *testing.T) {
	c := StripChart{ID: "s", Label: "s", X: Duration("startup", 40*time.Millisecond, 9*time.Second, true),
		Dots: []Dot{
			{Value: float64(9 * time.Second), Ring: true, Name: "Tao — 9.00 s"},
			{Value: float64(400 * time.Millisecond)},
			{Value: float64(40 * time.Millisecond), Ring: true, Name: "Una — 40.0 ms"},
		},
		Box: &BoxStats{Lo: 4e8, Q1: 4e8, Median: 4e8, Q3: 4e8, Hi: 4e8}}
	svg := string(c.SVG())
	if n := strings.Count(svg, `<circle class="mark"`); n != 3 {
		t.Errorf("%d marks, want 3", n)
	}
	if n := strings.Count(svg, `stroke="#c00" stroke-width="2.5"`); n != 2 {
		t.Errorf("%d ringed dots, want 2", n)
	}
	una, tao := strings.Index(svg, ">Una — 40.0 ms<"), strings.Index(svg, ">Tao — 9.00 s<")
	if una < 0 || tao < 0 || una > tao {
		t.Errorf("the names are not both drawn in the order of their values (Una at %d, Tao at %d):\n%s", una, tao, svg)
	}
	if !strings.Contains(svg, `class="box"`) || !strings.Contains(svg, `class="axis-label"`) {
		t.Errorf("no box or no axis label:\n%s", svg)
	}
}
