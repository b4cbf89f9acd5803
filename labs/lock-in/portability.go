package lockin

import "slices"

// PlatformChains returns, for each platform package (IsPlatform) reachable
// from roots in an import graph (package → its imports), the shortest
// import chain from a root to it: the evidence that the portable app would
// be locked in, and where to cut.
func PlatformChains(graph map[string][]string, roots []string, module string) [][]string {
	parent := map[string]string{}
	seen := map[string]bool{}
	queue := slices.Clone(roots)
	for _, r := range roots {
		seen[r] = true
	}
	var chains [][]string
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if IsPlatform(p, module) {
			chain := []string{p}
			for q := p; parent[q] != ""; q = parent[q] {
				chain = append([]string{parent[q]}, chain...)
			}
			chains = append(chains, chain)
			continue // its own imports are the platform's business
		}
		for _, imp := range graph[p] {
			if !seen[imp] {
				seen[imp], parent[imp] = true, p
				queue = append(queue, imp)
			}
		}
	}
	return chains
}
