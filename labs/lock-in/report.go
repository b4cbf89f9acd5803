package lockin

import (
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"text/tabwriter"
)

// Verdict is the one-line judgement on a component; app is the portable
// app, the yardstick for an adapter's size.
func Verdict(c, app Component) string {
	switch {
	case !c.Adapter && len(c.PlatformImports) == 0:
		return "portable: no platform import"
	case !c.Adapter:
		return "LOCKED IN: move these imports into an adapter"
	case c.Shared && len(c.PlatformImports) == 0:
		return "shared helper, platform-neutral"
	case len(c.PlatformImports) == 0:
		return "neutral: runs wherever a Linux binary runs"
	default:
		return fmt.Sprintf("thin: leaving the platform rewrites %d lines (%s of the app)", c.Lines, percent(c.Lines, app.Lines))
	}
}

// Write prints the lock-in table and a summary: one screen.
func Write(w io.Writer, comps []Component) error {
	var app Component
	for _, c := range comps {
		if !c.Adapter {
			app = c
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tGO LINES\tPLATFORM IMPORTS\tVERDICT")
	biggest := 0
	for _, c := range comps {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", c.Dir, c.Lines, compact(c.PlatformImports), Verdict(c, app))
		if c.Adapter && !c.Shared {
			biggest = max(biggest, c.Lines)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nThe app's %d lines are written once; moving platforms rewrites one adapter, at most %d lines (%s of the app).\n",
		app.Lines, biggest, percent(biggest, app.Lines))
	return err
}

// compact joins import paths, folding siblings:
// a/b/x, a/b/y -> a/b/{x,y}.
func compact(imports []string) string {
	if len(imports) == 0 {
		return "-"
	}
	var dirs []string
	byDir := map[string][]string{}
	for _, imp := range imports {
		d := path.Dir(imp)
		if byDir[d] == nil {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], path.Base(imp))
	}
	var out []string
	for _, d := range dirs {
		if bases := byDir[d]; len(bases) == 1 {
			out = append(out, d+"/"+bases[0])
		} else {
			slices.Sort(bases)
			out = append(out, d+"/{"+strings.Join(bases, ",")+"}")
		}
	}
	return strings.Join(out, ", ")
}

func percent(n, of int) string {
	if of == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(n)/float64(of))
}
