package models

// k-anonymity for the evaluators' tables (SPEC §6): a count of fewer than k
// people is not shown, and further counts are hidden so that no hidden
// count can be worked out from the totals it adds up to.

// Anonymity thresholds: k = 5 by default, never below 3 (SPEC §6).
const (
	DefaultK = 5
	MinK     = 3
)

// Relation says that one value is the sum of others: values[Total] =
// Σ values[Parts]. A table's row, its column and its grand total are
// relations; so is "participants = the sum of the status counts".
type Relation struct {
	Total int
	Parts []int
}

// Hidden marks a value that was hidden before it reached SuppressLinked
// (the database removes counts below k itself).
const Hidden = -1

// SuppressLinked decides which values to hide. Primary suppression hides
// every count 1..k-1 and every value already Hidden. Complementary
// suppression then repeats until stable: in any relation where exactly one
// member (total or part) is hidden, that member could be recovered from the
// others, so one more is hidden (unless the total is a shown zero, which
// tells that every part is zero whatever is hidden) — the smallest visible non-zero part,
// else a visible zero part, else the total. Zero counts are shown: hiding a
// zero protects little, so it is hidden only as a last complement. k below
// MinK counts as MinK.
func SuppressLinked(values []int, rels []Relation, k int) []bool {
	if k < MinK {
		k = MinK
	}
	hidden := make([]bool, len(values))
	for i, n := range values {
		hidden[i] = n < 0 || (n > 0 && n < k)
	}
	for changed := true; changed; {
		changed = false
		for _, rel := range rels {
			if len(rel.Parts) == 0 || !hidden[rel.Total] && values[rel.Total] == 0 {
				continue // nothing to add up, or a shown zero total: every part is zero
			}
			n := 0
			if hidden[rel.Total] {
				n++
			}
			for _, p := range rel.Parts {
				if hidden[p] {
					n++
				}
			}
			if n != 1 {
				continue
			}
			if p := smallestVisible(values, hidden, rel.Parts); p >= 0 {
				hidden[p] = true
			} else {
				hidden[rel.Total] = true
			}
			changed = true
		}
	}
	return hidden
}

// smallestVisible returns the visible index of idx with the smallest value,
// preferring non-zero values, or -1 when all are hidden.
func smallestVisible(values []int, hidden []bool, idx []int) int {
	best := -1
	for _, i := range idx {
		if hidden[i] {
			continue
		}
		if best < 0 || (values[i] > 0 && (values[best] == 0 || values[i] < values[best])) {
			best = i
		}
	}
	return best
}

// Suppression says which cells and totals of a count table are hidden.
type Suppression struct {
	Cells [][]bool // [row][col]
	Rows  []bool   // row totals
	Cols  []bool   // column totals
	Grand bool     // the grand total
}

// Suppress decides what to hide in a two-way table of person counts with
// its row, column and grand totals: SuppressLinked over the relations
// "row total = Σ its cells", "column total = Σ its cells" and "grand total
// = Σ row totals = Σ column totals".
func Suppress(counts [][]int, k int) Suppression {
	rows := len(counts)
	cols := 0
	for _, r := range counts {
		cols = max(cols, len(r))
	}
	// values: cells row by row, then row totals, column totals, grand.
	cell := func(r, c int) int { return r*cols + c }
	rowAt := func(r int) int { return rows*cols + r }
	colAt := func(c int) int { return rows*cols + rows + c }
	grandAt := rows*cols + rows + cols
	values := make([]int, grandAt+1)
	for r, row := range counts {
		for c, n := range row {
			values[cell(r, c)] = n
			values[rowAt(r)] += n
			values[colAt(c)] += n
			values[grandAt] += n
		}
	}
	var rels []Relation
	rowTotals := Relation{Total: grandAt}
	for r := 0; r < rows; r++ {
		rel := Relation{Total: rowAt(r)}
		for c := 0; c < cols; c++ {
			rel.Parts = append(rel.Parts, cell(r, c))
		}
		rels = append(rels, rel)
		rowTotals.Parts = append(rowTotals.Parts, rowAt(r))
	}
	colTotals := Relation{Total: grandAt}
	for c := 0; c < cols; c++ {
		rel := Relation{Total: colAt(c)}
		for r := 0; r < rows; r++ {
			rel.Parts = append(rel.Parts, cell(r, c))
		}
		rels = append(rels, rel)
		colTotals.Parts = append(colTotals.Parts, colAt(c))
	}
	rels = append(rels, rowTotals, colTotals)

	hidden := SuppressLinked(values, rels, k)
	s := Suppression{Cells: make([][]bool, rows), Rows: make([]bool, rows), Cols: make([]bool, cols), Grand: hidden[grandAt]}
	for r := 0; r < rows; r++ {
		s.Cells[r] = make([]bool, cols)
		for c := 0; c < cols; c++ {
			s.Cells[r][c] = hidden[cell(r, c)]
		}
		s.Rows[r] = hidden[rowAt(r)]
	}
	for c := 0; c < cols; c++ {
		s.Cols[c] = hidden[colAt(c)]
	}
	return s
}
