package localfriction

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Shape compares the gateway's event with a real-shaped one by their
// fields (dotted paths; array elements as "[]").
type Shape struct {
	// Version is the gateway event's "version".
	Version string `json:"version"`
	// Missing are the real event's fields that the gateway's lacks; Extra
	// the gateway's that the real one lacks.
	Missing []string `json:"missing"`
	Extra   []string `json:"extra,omitempty"`
	// Read are the fields the adapter reads that the gateway's event
	// carries (of readFields).
	Read []string `json:"read"`
}

// readFields are the fields the adapter (app/adapters/lambda/functionurl)
// builds its http.Request from.
var readFields = []string{"rawPath", "rawQueryString", "cookies", "headers", "headers.host", "requestContext.http.method"}

// compareShapes compares two events' fields.
func compareShapes(real, local []byte) (Shape, error) {
	var r, l any
	if err := json.Unmarshal(real, &r); err != nil {
		return Shape{}, fmt.Errorf("real-shaped event: %w", err)
	}
	if err := json.Unmarshal(local, &l); err != nil {
		return Shape{}, fmt.Errorf("the gateway's event: %w", err)
	}
	rp, lp := paths(r, ""), paths(l, "")
	var s Shape
	if m, ok := l.(map[string]any); ok {
		s.Version, _ = m["version"].(string)
	}
	for p := range rp {
		if !lp[p] {
			s.Missing = append(s.Missing, p)
		}
	}
	for p := range lp {
		if !rp[p] {
			s.Extra = append(s.Extra, p)
		}
	}
	for _, p := range readFields {
		if lp[p] {
			s.Read = append(s.Read, p)
		}
	}
	slices.Sort(s.Missing)
	slices.Sort(s.Extra)
	return s, nil
}

// paths lists every field of v as a dotted path.
func paths(v any, prefix string) map[string]bool {
	out := map[string]bool{}
	var walk func(v any, p string)
	walk = func(v any, p string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				q := k
				if p != "" {
					q = p + "." + k
				}
				out[q] = true
				walk(c, q)
			}
		case []any:
			for _, c := range x {
				walk(c, p+"[]")
			}
		}
	}
	walk(v, prefix)
	return out
}
