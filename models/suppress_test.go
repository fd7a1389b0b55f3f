package models_test

import (
	"math/rand"
	"testing"

	"kurve/models"
)

// checkSuppression asserts the properties of SPEC §6 on one table.
func checkSuppression(t *testing.T, counts [][]int, k int, s models.Suppression) {
	t.Helper()
	if k < models.MinK {
		k = models.MinK
	}
	rows, cols := len(counts), len(s.Cols)
	rowSum, colSum := make([]int, rows), make([]int, cols)
	for r := range counts {
		for c, n := range counts[r] {
			rowSum[r] += n
			colSum[c] += n
			if n > 0 && n < k && !s.Cells[r][c] {
				t.Fatalf("cell (%d,%d) = %d < k=%d shown: %v", r, c, n, k, counts)
			}
		}
	}
	for r := range counts {
		for c := range counts[r] {
			if !s.Cells[r][c] {
				continue
			}
			inRow, inCol := 0, 0
			for cc := range s.Cells[r] {
				if s.Cells[r][cc] {
					inRow++
				}
			}
			for rr := range counts {
				if s.Cells[rr][c] {
					inCol++
				}
			}
			if inRow < 2 && !s.Rows[r] && rowSum[r] > 0 { // a shown zero total says every cell is zero
				t.Fatalf("cell (%d,%d) is the only hidden one of its row and the row total is shown: %v → %+v", r, c, counts, s)
			}
			if inCol < 2 && !s.Cols[c] && colSum[c] > 0 {
				t.Fatalf("cell (%d,%d) is the only hidden one of its column and the column total is shown: %v → %+v", r, c, counts, s)
			}
		}
	}
	for r, n := range rowSum {
		if n > 0 && n < k && !s.Rows[r] {
			t.Fatalf("row total %d < k shown", n)
		}
	}
	for c, n := range colSum {
		if n > 0 && n < k && !s.Cols[c] {
			t.Fatalf("column total %d < k shown", n)
		}
	}
	count := func(bs []bool) (n int) {
		for _, b := range bs {
			if b {
				n++
			}
		}
		return n
	}
	if count(s.Rows) == 1 && !s.Grand {
		t.Fatalf("a single hidden row total is recoverable from the grand total: %v → %+v", counts, s)
	}
	if count(s.Cols) == 1 && !s.Grand {
		t.Fatalf("a single hidden column total is recoverable from the grand total: %v → %+v", counts, s)
	}
}

// TestSuppressionProperty: random tables, every suppressed cell has another
// suppressed cell in its row and its column, or that total is suppressed.
func TestSuppressionProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(20261125))
	for i := 0; i < 5000; i++ {
		rows, cols := 1+rng.Intn(6), 1+rng.Intn(6)
		counts := make([][]int, rows)
		for r := range counts {
			counts[r] = make([]int, cols)
			for c := range counts[r] {
				switch rng.Intn(4) {
				case 0:
					counts[r][c] = 0
				case 1:
					counts[r][c] = 1 + rng.Intn(6)
				default:
					counts[r][c] = rng.Intn(40)
				}
			}
		}
		k := 1 + rng.Intn(8)
		checkSuppression(t, counts, k, models.Suppress(counts, k))
	}
}

func TestSuppressionExamples(t *testing.T) {
	// One small cell: its row and column each get a complement.
	s := models.Suppress([][]int{{2, 10, 12}, {9, 11, 13}}, 5)
	if !s.Cells[0][0] || !s.Cells[0][1] || !s.Cells[1][0] {
		t.Errorf("complements: %+v", s.Cells)
	}
	if s.Rows[0] || s.Cols[0] || s.Grand {
		t.Errorf("totals hidden without need: %+v", s)
	}
	// Nothing small: nothing hidden.
	s = models.Suppress([][]int{{5, 6}, {7, 0}}, 5)
	for _, r := range s.Cells {
		for _, c := range r {
			if c {
				t.Errorf("hidden without need: %+v", s.Cells)
			}
		}
	}
	// k below the minimum counts as the minimum.
	if s := models.Suppress([][]int{{2, 9}, {9, 9}}, 1); !s.Cells[0][0] {
		t.Error("k=1 accepted below the minimum of 3")
	}
}

// TestSuppressLinkedProperty: random values tied by random sum relations
// (with parts shared between relations, as in a table with partitions):
// every small or pre-hidden value is hidden, and no relation is left with
// exactly one hidden member, which could be recovered from the others.
func TestSuppressLinkedProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 3000; i++ {
		parts := 2 + rng.Intn(30)
		values := make([]int, parts)
		for j := range values {
			switch rng.Intn(5) {
			case 0:
				values[j] = 0
			case 1:
				values[j] = 1 + rng.Intn(6)
			case 2:
				values[j] = models.Hidden
			default:
				values[j] = rng.Intn(50)
			}
		}
		var rels []models.Relation
		for r := 0; r < 1+rng.Intn(8); r++ {
			rel := models.Relation{Total: len(values)}
			sum := 0
			for j := 0; j < parts; j++ {
				if rng.Intn(3) == 0 {
					rel.Parts = append(rel.Parts, j)
					sum += max(values[j], 1)
				}
			}
			values = append(values, sum)
			rels = append(rels, rel)
		}
		k := 1 + rng.Intn(8)
		hidden := models.SuppressLinked(values, rels, k)
		kk := max(k, models.MinK)
		for j, n := range values {
			if (n < 0 || (n > 0 && n < kk)) && !hidden[j] {
				t.Fatalf("value %d = %d shown with k=%d", j, n, k)
			}
		}
		for _, rel := range rels {
			if !hidden[rel.Total] && values[rel.Total] == 0 {
				continue
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
			if n == 1 {
				t.Fatalf("relation %+v has one hidden member: values %v hidden %v", rel, values, hidden)
			}
		}
	}
}

// TestSuppressLinkedEmpty: relations without parts (an empty table with
// its hidden total) end at once.
func TestSuppressLinkedEmpty(t *testing.T) {
	hidden := models.SuppressLinked([]int{models.Hidden, 0}, []models.Relation{{Total: 0}, {Total: 1}}, 5)
	if !hidden[0] || hidden[1] {
		t.Errorf("hidden %v", hidden)
	}
}
