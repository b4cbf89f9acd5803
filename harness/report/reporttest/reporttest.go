// Package reporttest checks a report page as headless Chromium rendered
// it: the size and place of every chart, its marks, its tick labels, its
// axis labels and its legend, measured by the browser after layout — not
// strings in the file. Every page's test (the ladder's and each lab's)
// uses it:
//
//	g := reporttest.Render(t, page)       // skips without Chromium, fails under CI=true
//	g.Chart(t, "cdf", reporttest.Want{Axes: 2, Legend: 3})
//	g.Table(t, "ladder", 10)
//
// The page itself stays script-free: the test renders a copy with one
// measuring script appended. COMPUTELADDER_REPORT_DUMP=<dir> keeps each
// page a test renders in dir, to look at.
package reporttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers/deployertest"
)

// Box is an element's rendered box, in CSS pixels, and its text.
type Box struct {
	Text string `json:"text"`
	// Line is a line's box (polyline, line): a straight line has no area.
	Line   bool    `json:"line"`
	Left   float64 `json:"left"`
	Top    float64 `json:"top"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// Visible reports whether the box has an area, or, for a line, a length.
func (b Box) Visible() bool {
	if b.Line {
		return b.Width > 0 || b.Height > 0
	}
	return b.Width > 0 && b.Height > 0
}

// within reports whether b lies inside o (1 px of slack).
func (b Box) within(o Box) bool {
	return b.Left >= o.Left-1 && b.Top >= o.Top-1 && b.Left+b.Width <= o.Left+o.Width+1 && b.Top+b.Height <= o.Top+o.Height+1
}

// overlaps reports whether b and o share more than 2 px each way.
func (b Box) overlaps(o Box) bool {
	w := min(b.Left+b.Width, o.Left+o.Width) - max(b.Left, o.Left)
	h := min(b.Top+b.Height, o.Top+o.Height) - max(b.Top, o.Top)
	return w > 2 && h > 2
}

// Chart is one <svg class="chart"> as rendered.
type Chart struct {
	ID         string `json:"id"`
	Box        Box    `json:"box"`
	Marks      []Box  `json:"marks"`
	Ticks      []Box  `json:"ticks"`
	AxisLabels []Box  `json:"axisLabels"`
	Legend     []Box  `json:"legend"`
	Labels     []Box  `json:"labels"` // group, row, phase and value labels
}

// TableBox is one <table> as rendered.
type TableBox struct {
	ID   string `json:"id"`
	Rows int    `json:"rows"`
	Box  Box    `json:"box"`
}

// Geometry is what the browser laid out.
type Geometry struct {
	Title  string     `json:"title"`
	Charts []Chart    `json:"charts"`
	Tables []TableBox `json:"tables"`
	// Scripts counts the page's own <script> elements (the measuring one
	// excluded): a report page has none.
	Scripts int `json:"scripts"`
}

const measure = `<script id="cl-measure">
(function(){
function box(e){var r=e.getBoundingClientRect();return {text:(e.textContent||"").trim(),line:e.tagName=="polyline"||e.tagName=="line",left:r.left,top:r.top,width:r.width,height:r.height};}
function all(root,sel){return Array.prototype.map.call(root.querySelectorAll(sel),box);}
var charts=Array.prototype.map.call(document.querySelectorAll("svg.chart"),function(s){
 return {id:s.id,box:box(s),marks:all(s,".mark"),ticks:all(s,".tick"),axisLabels:all(s,".axis-label"),legend:all(s,".legend-item"),labels:all(s,".group-label,.row-label,.phase-label,.value")};});
var tables=Array.prototype.map.call(document.querySelectorAll("table"),function(t){return {id:t.id,rows:t.rows.length,box:box(t)};});
var pre=document.createElement("pre");pre.id="cl-geometry";
pre.textContent=JSON.stringify({title:document.title,charts:charts,tables:tables,scripts:document.querySelectorAll("script:not(#cl-measure)").length});
document.body.appendChild(pre);
})();
</script>`

// FindChromium returns Debian's chromium (or another headless-capable
// Chrome) on PATH.
func FindChromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH (apt-get install chromium)")
}

var geometryRE = regexp.MustCompile(`(?s)<pre id="cl-geometry">(.*?)</pre>`)

// Render lays page out in headless Chromium (1280 px wide) and returns
// what it measured. Without Chromium the test is skipped (failed under
// CI=true).
func Render(t testing.TB, page []byte) *Geometry {
	t.Helper()
	if d := os.Getenv("COMPUTELADDER_REPORT_DUMP"); d != "" {
		// To look at the pages the tests render: each is kept there.
		name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + ".html"
		if err := os.WriteFile(filepath.Join(d, name), page, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	chrome, err := FindChromium()
	deployertest.Require(t, "headless Chromium", err)
	i := bytes.LastIndex(page, []byte("</body>"))
	if i < 0 {
		t.Fatal("the page has no </body>")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "page.html")
	withScript := append(append(append([]byte{}, page[:i]...), measure...), page[i:]...)
	if err := os.WriteFile(path, withScript, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chrome, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,2000",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+path)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	m := geometryRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("chromium ran no measurement: the DOM it dumped has no geometry:\n%.2000s", out)
	}
	var g Geometry
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &g); err != nil {
		t.Fatalf("geometry: %v", err)
	}
	if g.Scripts != 0 {
		t.Errorf("the page has %d script element(s) of its own: a report page has none", g.Scripts)
	}
	return &g
}

// Want is what a chart must show.
type Want struct {
	// Marks is the least number of marks (bars, lines, segments) drawn
	// with an area (default 1).
	Marks int
	// Axes is how many axis labels it has (each axis is labelled); each
	// axis must also have at least two tick labels.
	Axes int
	// Legend is how many legend entries it has.
	Legend int
	// Texts must each be the text of a tick, axis, legend or other label.
	Texts []string
}

// Chart checks the chart with id id: rendered with an area; at least
// want.Marks marks with an area; want.Axes axis labels and at least two
// ticks per axis, all visible, none outside the chart; no two tick
// labels, no two other labels and no two legend entries on top of each
// other; want.Legend legend entries, all visible; and every text of
// want.Texts among its labels.
func (g *Geometry) Chart(t testing.TB, id string, want Want) {
	t.Helper()
	var c *Chart
	for i := range g.Charts {
		if g.Charts[i].ID == id {
			c = &g.Charts[i]
		}
	}
	if c == nil {
		t.Errorf("chart %q was not rendered (charts: %v)", id, g.chartIDs())
		return
	}
	if !c.Box.Visible() {
		t.Errorf("chart %q rendered at %gx%g", id, c.Box.Width, c.Box.Height)
	}
	visible := 0
	for _, m := range c.Marks {
		if m.Visible() {
			visible++
		}
	}
	if n := max(1, want.Marks); visible < n {
		t.Errorf("chart %q: %d of its %d marks are drawn with a size, want at least %d", id, visible, len(c.Marks), n)
	}
	if len(c.AxisLabels) != want.Axes {
		t.Errorf("chart %q: %d axis labels, want %d", id, len(c.AxisLabels), want.Axes)
	}
	if len(c.Ticks) < 2*want.Axes {
		t.Errorf("chart %q: %d tick labels, want at least 2 per axis (%d axes)", id, len(c.Ticks), want.Axes)
	}
	texts := map[string]bool{}
	for kind, boxes := range map[string][]Box{"axis label": c.AxisLabels, "tick": c.Ticks, "legend entry": c.Legend, "label": c.Labels} {
		for _, b := range boxes {
			texts[b.Text] = true
			if b.Text == "" || !b.Visible() {
				t.Errorf("chart %q: %s %q is empty or has no area (%gx%g)", id, kind, b.Text, b.Width, b.Height)
			}
			if !b.within(c.Box) {
				t.Errorf("chart %q: %s %q is drawn outside the chart (%+v outside %+v)", id, kind, b.Text, b, c.Box)
			}
		}
	}
	for kind, boxes := range map[string][]Box{"tick labels": c.Ticks, "labels": c.Labels, "legend entries": c.Legend} {
		for i := range boxes {
			for j := i + 1; j < len(boxes); j++ {
				if boxes[i].overlaps(boxes[j]) {
					t.Errorf("chart %q: %s %q and %q overlap (%+v, %+v)", id, kind, boxes[i].Text, boxes[j].Text, boxes[i], boxes[j])
				}
			}
		}
	}
	if len(c.Legend) != want.Legend {
		t.Errorf("chart %q: %d legend entries, want %d", id, len(c.Legend), want.Legend)
	}
	for _, w := range want.Texts {
		found := false
		for s := range texts {
			if strings.Contains(s, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("chart %q shows no label %q", id, w)
		}
	}
}

// Table checks that the table with id id rendered with an area and at
// least rows rows (its header included).
func (g *Geometry) Table(t testing.TB, id string, rows int) {
	t.Helper()
	for _, tb := range g.Tables {
		if tb.ID == id {
			if !tb.Box.Visible() || tb.Rows < rows {
				t.Errorf("table %q: %gx%g with %d rows, want an area and at least %d rows", id, tb.Box.Width, tb.Box.Height, tb.Rows, rows)
			}
			return
		}
	}
	t.Errorf("table %q was not rendered", id)
}

func (g *Geometry) chartIDs() []string {
	var ids []string
	for _, c := range g.Charts {
		ids = append(ids, c.ID)
	}
	return ids
}
