package models

// k-anonymity for the evaluators' tables (SPEC §6): a cell that counts
// fewer than k people is not shown, and further cells are hidden so that no
// hidden cell can be worked out from the totals of its row or column.

// Anonymity thresholds: k = 5 by default, never below 3 (SPEC §6).
const (
	DefaultK = 5
	MinK     = 3
)

// Suppression says which cells and totals of a count table are hidden.
type Suppression struct {
	Cells [][]bool // [row][col]
	Rows  []bool   // row totals
	Cols  []bool   // column totals
	Grand bool     // the grand total
}

// Suppress decides what to hide in a table of person counts. Primary
// suppression hides every count 1..k-1 (cells and totals). Complementary
// suppression then repeats until stable: a row or column with exactly one
// hidden cell (and a visible total) hides its next-smallest cell, or its
// total when it has no other cell; likewise a single hidden row or column
// total hides another total or the grand total. Zero counts are shown:
// they are hidden only when needed as a complement. k below MinK counts
// as MinK.
func Suppress(counts [][]int, k int) Suppression {
	if k < MinK {
		k = MinK
	}
	rows := len(counts)
	cols := 0
	for _, r := range counts {
		if len(r) > cols {
			cols = len(r)
		}
	}
	at := func(r, c int) int {
		if c < len(counts[r]) {
			return counts[r][c]
		}
		return 0
	}
	small := func(n int) bool { return n > 0 && n < k }
	s := Suppression{Cells: make([][]bool, rows), Rows: make([]bool, rows), Cols: make([]bool, cols)}
	rowSum, colSum, grand := make([]int, rows), make([]int, cols), 0
	for r := 0; r < rows; r++ {
		s.Cells[r] = make([]bool, cols)
		for c := 0; c < cols; c++ {
			n := at(r, c)
			s.Cells[r][c] = small(n)
			rowSum[r] += n
			colSum[c] += n
			grand += n
		}
	}
	for r := range rowSum {
		s.Rows[r] = small(rowSum[r])
	}
	for c := range colSum {
		s.Cols[c] = small(colSum[c])
	}
	s.Grand = small(grand)

	// pick returns the index of the smallest visible value, preferring
	// non-zero ones (hiding a zero protects little), or -1.
	pick := func(n int, value func(int) int, hidden func(int) bool) int {
		best := -1
		for i := 0; i < n; i++ {
			if hidden(i) {
				continue
			}
			if best < 0 || (value(i) > 0 && (value(best) == 0 || value(i) < value(best))) {
				best = i
			}
		}
		return best
	}
	for changed := true; changed; {
		changed = false
		for r := 0; r < rows; r++ {
			if s.Rows[r] || countTrue(s.Cells[r]) != 1 {
				continue
			}
			if c := pick(cols, func(c int) int { return at(r, c) }, func(c int) bool { return s.Cells[r][c] }); c >= 0 {
				s.Cells[r][c] = true
			} else {
				s.Rows[r] = true
			}
			changed = true
		}
		for c := 0; c < cols; c++ {
			hidden := 0
			for r := 0; r < rows; r++ {
				if s.Cells[r][c] {
					hidden++
				}
			}
			if s.Cols[c] || hidden != 1 {
				continue
			}
			if r := pick(rows, func(r int) int { return at(r, c) }, func(r int) bool { return s.Cells[r][c] }); r >= 0 {
				s.Cells[r][c] = true
			} else {
				s.Cols[c] = true
			}
			changed = true
		}
		// The totals of the rows (and of the columns) add up to the grand
		// total: one hidden total alone could be recovered from it.
		if !s.Grand && countTrue(s.Rows) == 1 {
			if r := pick(rows, func(r int) int { return rowSum[r] }, func(r int) bool { return s.Rows[r] }); r >= 0 {
				s.Rows[r] = true
			} else {
				s.Grand = true
			}
			changed = true
		}
		if !s.Grand && countTrue(s.Cols) == 1 {
			if c := pick(cols, func(c int) int { return colSum[c] }, func(c int) bool { return s.Cols[c] }); c >= 0 {
				s.Cols[c] = true
			} else {
				s.Grand = true
			}
			changed = true
		}
	}
	return s
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
