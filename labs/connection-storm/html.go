package storm

import (
	"fmt"
	"html/template"
	"io"

	"github.com/computeladder/computeladder/harness/report"
)

// HTML writes the run's page, report.html: each case's answers (201, 503,
// 429, other) as stacked bars, the connections its pools wanted against
// the peak PostgreSQL held and the seats it has, the table and the claims.
func HTML(w io.Writer, r *Result) error {
	var outcomes, conns []report.BarGroup
	most := 0.0
	rows := [][]string{}
	for _, c := range r.Cases {
		label := fmt.Sprintf("%s (%s)", c.Name, c.Variant)
		outcomes = append(outcomes, report.BarGroup{Label: label, Bars: []report.Bar{
			{Value: float64(c.Created), Title: fmt.Sprintf("%s: %d created (201)", label, c.Created)},
			{Value: float64(c.DBUnavailable), Title: fmt.Sprintf("%s: %d refused, database unavailable (503)", label, c.DBUnavailable)},
			{Value: float64(c.Throttled), Title: fmt.Sprintf("%s: %d throttled (429)", label, c.Throttled)},
			{Value: float64(c.Other), Title: fmt.Sprintf("%s: %d other", label, c.Other)},
		}})
		conns = append(conns, report.BarGroup{Label: label, Bars: []report.Bar{
			{Value: float64(c.WantedConnections)}, {Value: float64(c.PeakServerConnections)},
		}})
		most = max(most, float64(c.WantedConnections), float64(c.PeakServerConnections), float64(c.Requests))
		wanted := fmt.Sprintf("%d × %d = %d", c.Environments, c.PoolSize, c.WantedConnections)
		if c.BouncerPool > 0 {
			wanted += fmt.Sprintf(" (→ %d via PgBouncer)", c.BouncerPool)
		}
		rows = append(rows, []string{label, wanted, fmt.Sprint(c.PeakServerConnections), fmt.Sprint(c.Requests), fmt.Sprint(c.Created),
			fmt.Sprint(c.DBUnavailable), fmt.Sprint(c.Throttled), fmt.Sprint(c.Other), fmt.Sprintf("%.1f", c.P50), fmt.Sprintf("%.1f", c.Max)})
	}
	seats := float64(r.Postgres.Available)
	p := report.Page{
		Title: "Connection storm: run " + r.RunID,
		Lead: []string{
			fmt.Sprintf("PostgreSQL max_connections %d, %d reserved for superusers: %d seats for the app. %d rounds of %d concurrent POST /orders per case; %s.",
				r.Postgres.MaxConnections, r.Postgres.Reserved, r.Postgres.Available, r.Rounds, r.Burst, r.Date),
		},
		Sections: []report.Section{
			{Heading: "What each case answered", Blocks: []template.HTML{report.Figure(report.BarChart{
				ID: "outcomes", Label: "answers per case", X: report.Count("requests", most), Stacked: true,
				Series: []string{"201 created", "503 database unavailable", "429 throttled", "other"},
				Colors: []string{report.ColorOK, report.ColorRefused, report.ColorThrottled, report.ColorOther},
				Groups: outcomes,
			}.SVG(), "Every request of every round, by its answer: created (201), refused because the database had no connection left (503 database_unavailable), throttled by the function's concurrency cap (429), or anything else.")}},
			{Heading: "Connections", Blocks: []template.HTML{report.Figure(report.BarChart{
				ID: "connections", Label: "connections wanted and held", X: report.Count("connections", max(most, seats)),
				Series: []string{"wanted by the pools (instances × pool size)", "peak held on PostgreSQL"},
				Groups: conns, ValueLabels: true,
				Markers: []report.Marker{{Value: seats, Label: fmt.Sprintf("%d seats for the app", r.Postgres.Available)}},
			}.SVG(), "What the instances' pools would open (instances × pool size; through PgBouncer, its own pool reaches PostgreSQL) against the most connections PostgreSQL held, and the seats it has for the app.")}},
			{Heading: "Cases", Blocks: []template.HTML{report.Table("cases",
				[]string{"case", "instances × pool = wanted", "peak held", "requests", "201", "503 db", "429", "other", "p50 ms", "max ms"}, rows)}},
			{Heading: "Claims", Blocks: []template.HTML{report.ClaimsList(r.Claims), report.TeardownLine(r.FlatTeardown, r.RunID)}},
		},
	}
	return p.Write(w)
}
