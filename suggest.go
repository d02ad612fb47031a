package lambda

// ClosestName returns the name of names nearest to name by edit distance
// (insertions, deletions, substitutions and swaps of two neighbours), when
// it is near enough to be what was meant: within 1 edit for names of up
// to 4 characters, 2 up to 8, 3 beyond. "" when none is; the first in
// names wins a tie. For "did you mean" hints on a mistyped name.
func ClosestName(name string, names []string) string {
	limit := 3
	switch n := len([]rune(name)); {
	case n <= 4:
		limit = 1
	case n <= 8:
		limit = 2
	}
	best, bestDist := "", limit+1
	for _, c := range names {
		if c == name {
			continue
		}
		if d := editDistance(name, c, bestDist); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance of a and b, or
// some value >= bound once it is known to reach bound (names far apart in
// length cost nothing to reject).
func editDistance(a, b string, bound int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d >= bound || -d >= bound {
		return bound
	}
	// Three rows: the one before the previous is needed for a swap.
	prev2, prev, cur := make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= bound {
			return bound
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
