package deployers

import "slices"

// InKindOrder returns a copy of rs sorted by the position of each
// resource's Kind in kinds (a backend's teardown order: what uses a
// resource before the resource), kinds not listed last; resources of one
// kind keep their order.
func InKindOrder(rs []Resource, kinds ...string) []Resource {
	rank := func(kind string) int {
		if i := slices.Index(kinds, kind); i >= 0 {
			return i
		}
		return len(kinds)
	}
	out := slices.Clone(rs)
	slices.SortStableFunc(out, func(a, b Resource) int { return rank(a.Kind) - rank(b.Kind) })
	return out
}
