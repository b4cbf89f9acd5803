package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/computeladder/computeladder/deployers"
)

// PublishedFigure is one cloud figure set beside a local one: published
// elsewhere, with its source and date, never measured here.
type PublishedFigure struct {
	// Row is the ladder table's row label, Variant its column.
	Row     string `json:"row"`
	Variant string `json:"variant"`
	Figure  string `json:"figure"`
	// Why says why the local figure differs.
	Why    string `json:"why"`
	Source Source `json:"source"`
}

// Source is where a published figure comes from and when.
type Source struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	Date  string `json:"date"`
}

//go:embed published.json
var publishedJSON []byte

// Published is the cloud figures of published.json, checked: every one
// names a row of the ladder table and a variant, and has a source with a
// title, an https URL and a date.
func Published() ([]PublishedFigure, error) { return parsePublished(publishedJSON) }

func parsePublished(b []byte) ([]PublishedFigure, error) {
	var doc struct {
		Figures []PublishedFigure `json:"figures"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("published figures: %w", err)
	}
	for i, f := range doc.Figures {
		if !slices.ContainsFunc(ladderRows, func(r ladderRowDef) bool { return r.label == f.Row }) {
			return nil, fmt.Errorf("published figure %d: row %q is not a row of the ladder table", i, f.Row)
		}
		if _, ok := rungs[deployers.Variant(f.Variant)]; !ok {
			return nil, fmt.Errorf("published figure %d: unknown variant %q", i, f.Variant)
		}
		if f.Figure == "" || f.Source.Title == "" || f.Source.Date == "" || !strings.HasPrefix(f.Source.URL, "https://") {
			return nil, fmt.Errorf("published figure %d (%s, %s): a figure needs its text and a source with a title, an https URL and a date", i, f.Row, f.Variant)
		}
	}
	return doc.Figures, nil
}
