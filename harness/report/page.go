package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/computeladder/computeladder/harness/results"
)

// Page is one report page: self-contained HTML with no script and nothing
// fetched, whose charts are inline SVG from the chart kit. Every lab's
// report.html is a Page; a lab builds it from its result and writes it
// with Write, e.g.
//
//	return report.Page{
//		Title: "Cold start: run " + r.RunID,
//		Lead:  []string{"Local function (RIE), 128 MB"},
//		Sections: []report.Section{{Heading: "Bursts", Blocks: []template.HTML{
//			report.Figure(report.BarChart{...}.SVG(), "p50 and p99 of each burst"),
//			report.Table("bursts", []string{"burst", "p50"}, rows),
//		}}},
//	}.Write(w)
type Page struct {
	Title string
	// Lead are the lines under the title: what ran, where, with which
	// settings (plain text).
	Lead     []string
	Sections []Section
}

// Section is a heading and what follows it.
type Section struct {
	Heading string
	Blocks  []template.HTML
}

// Write renders the page.
func (p Page) Write(w io.Writer) error { return pageTemplate.Execute(w, p) }

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.label{font-weight:600}
.err{color:#b00}.ok{color:#060}figure{margin:1.5rem 0}figcaption{font-size:.9rem;color:#555;max-width:760px}
svg.chart{display:block;max-width:100%;height:auto}
svg text{font-size:12px;font-family:system-ui,sans-serif}
td.src{font-size:.85rem;color:#444}
</style></head><body>
<h1>{{.Title}}</h1>
<p>{{range $i, $l := .Lead}}{{if $i}}<br>{{end}}{{$l}}{{end}}</p>
{{range .Sections}}{{if .Heading}}<h2>{{.Heading}}</h2>
{{end}}{{range .Blocks}}{{.}}
{{end}}{{end}}</body></html>
`))

// Figure is a chart with its caption.
func Figure(chart template.HTML, caption string) template.HTML {
	return template.HTML(fmt.Sprintf("<figure>%s<figcaption>%s</figcaption></figure>", chart, esc(caption)))
}

// Para is a paragraph of plain text; ParaClass one with a class ("err").
func Para(text string) template.HTML { return template.HTML("<p>" + esc(text) + "</p>") }

// ParaClass is a paragraph of plain text with a class, e.g. "err".
func ParaClass(class, text string) template.HTML {
	return template.HTML(fmt.Sprintf(`<p class="%s">%s</p>`, esc(class), esc(text)))
}

// Table is a table of plain-text cells; the first column is bold. An
// empty id gives the table none.
func Table(id string, header []string, rows [][]string) template.HTML {
	cells := make([][]template.HTML, len(rows))
	for i, r := range rows {
		for _, c := range r {
			cells[i] = append(cells[i], template.HTML(esc(c)))
		}
	}
	return TableHTML(id, header, cells)
}

// TableHTML is Table with cells already HTML (a link, a mark-up of the
// caller's own).
func TableHTML(id string, header []string, rows [][]template.HTML) template.HTML {
	var b strings.Builder
	b.WriteString("<table")
	if id != "" {
		fmt.Fprintf(&b, ` id="%s"`, esc(id))
	}
	b.WriteString("><thead><tr>")
	for _, h := range header {
		fmt.Fprintf(&b, "<th>%s</th>", esc(h))
	}
	b.WriteString("</tr></thead><tbody>\n")
	for _, r := range rows {
		b.WriteString("<tr>")
		for i, c := range r {
			if i == 0 {
				fmt.Fprintf(&b, `<td class="label">%s</td>`, c)
				continue
			}
			fmt.Fprintf(&b, "<td>%s</td>", c)
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody></table>")
	return template.HTML(b.String())
}

// ClaimsList is a lab's claims, each with whether it held and what the
// run saw.
func ClaimsList(cs results.Claims) template.HTML {
	var b strings.Builder
	b.WriteString(`<ul class="claims">`)
	for _, c := range cs {
		mark, class := "holds", "ok"
		if !c.Holds {
			mark, class = "does not hold", "err"
		}
		fmt.Fprintf(&b, `<li><b>%s</b>: <span class="%s">%s</span> — %s</li>`, esc(c.Name), class, mark, esc(c.Detail))
	}
	b.WriteString("</ul>")
	return template.HTML(b.String())
}

// TeardownLine says how a lab's teardown went, with the sweep command when
// something was left.
func TeardownLine(t results.FlatTeardown, runID string) template.HTML {
	s := fmt.Sprintf("Teardown: %s, %d resource(s) left.", dur(t.Teardown), len(t.Leftovers))
	if t.TeardownError != "" || len(t.Leftovers) > 0 {
		s += fmt.Sprintf(" %s Run computeladder sweep --run-id %s.", t.TeardownError, runID)
		return ParaClass("err", s)
	}
	return Para(s)
}
