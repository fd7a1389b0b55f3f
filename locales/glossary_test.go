package locales

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// glossary is one language's file under glossary/: per term the accepted
// renderings (case-insensitive substrings, so a stem covers its
// inflections) and the renderings that are wrong for it (refused in any
// string where the German names the term).
type glossary struct {
	Terms map[string][]string `toml:"terms"`
	Avoid map[string][]string `toml:"avoid"`
}

// catalogue reads a message file into key → text; a plural table counts
// with all its forms.
func catalogue(t *testing.T, path string) map[string]string {
	t.Helper()
	var raw map[string]any
	if _, err := toml.DecodeFS(FS, path, &raw); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]string{}
	for k, v := range raw {
		switch v := v.(type) {
		case string:
			out[k] = v
		case map[string]any:
			var forms []string
			for _, f := range v {
				if s, ok := f.(string); ok {
					forms = append(forms, s)
				}
			}
			slices.Sort(forms)
			out[k] = strings.Join(forms, " | ")
		}
	}
	return out
}

func readGlossary(t *testing.T, lang string) glossary {
	t.Helper()
	var g glossary
	if _, err := toml.DecodeFile(filepath.Join("glossary", lang+".toml"), &g); err != nil {
		t.Fatalf("glossary/%s.toml: %v", lang, err)
	}
	return g
}

// glossaryFindings compares a translation with its German source: every
// key whose German text names a term (de: the German words per term) must
// contain one of the term's renderings of g and none of its refused ones.
func glossaryFindings(lang string, source, target map[string]string, de map[string][]string, g glossary) []string {
	var out []string
	keys := make([]string, 0, len(source))
	for k := range source {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		text, ok := target[key]
		if !ok {
			continue // the catalogue tests report missing keys
		}
		lower := strings.ToLower(text)
		for term, words := range de {
			if !slices.ContainsFunc(words, func(w string) bool { return strings.Contains(source[key], w) }) {
				continue
			}
			accepted := g.Terms[term]
			if len(accepted) == 0 {
				out = append(out, fmt.Sprintf("%s: glossary has no rendering of %q (used by %s)", lang, term, key))
				continue
			}
			if !slices.ContainsFunc(accepted, func(r string) bool { return strings.Contains(lower, strings.ToLower(r)) }) {
				out = append(out, fmt.Sprintf("%s %s: the German names %q; want one of %q in %q", lang, key, term, accepted, text))
			}
			for _, wrong := range g.Avoid[term] {
				if strings.Contains(lower, strings.ToLower(wrong)) {
					out = append(out, fmt.Sprintf("%s %s: %q is not the glossary's %q: %q", lang, key, wrong, term, text))
				}
			}
		}
	}
	return out
}

// TestGlossary: every interface and document string uses the glossary's
// rendering of each program and legal term its German source names
// (issue 18: for example the Arabic custody term wherever the German says
// "Sorgerecht").
func TestGlossary(t *testing.T) {
	de := readGlossary(t, "de").Terms
	for _, kind := range []string{".", "documents"} {
		source := catalogue(t, filepath.Join(kind, "de.toml"))
		files, err := fs.Glob(FS, filepath.Join(kind, "*.toml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			lang := strings.TrimSuffix(filepath.Base(f), ".toml")
			if lang == "de" {
				continue
			}
			for _, finding := range glossaryFindings(lang, source, catalogue(t, f), de, readGlossary(t, lang)) {
				t.Errorf("%s: %s", f, finding)
			}
		}
	}
	// Every language's glossary names the same terms as the German one.
	langs, _ := filepath.Glob(filepath.Join("glossary", "*.toml"))
	for _, f := range langs {
		g := readGlossary(t, strings.TrimSuffix(filepath.Base(f), ".toml"))
		for term := range de {
			if len(g.Terms[term]) == 0 {
				t.Errorf("%s: no rendering of %q", f, term)
			}
		}
		for term := range g.Terms {
			if de[term] == nil {
				t.Errorf("%s: %q is no term of the German glossary", f, term)
			}
		}
	}
	if _, err := os.Stat(filepath.Join("glossary", "de.toml")); err != nil {
		t.Fatal(err)
	}
}

// TestGlossaryCatchesAWrongTerm shows that the check fails on the error
// issue 18 found: an Arabic custody line with حق الحضانة (day-to-day care)
// instead of the glossary's term for parental custody.
func TestGlossaryCatchesAWrongTerm(t *testing.T) {
	de := map[string][]string{"custody": {"Sorgerecht", "sorgeberechtigt"}}
	ar := glossary{Terms: map[string][]string{"custody": {"الولاية"}}, Avoid: map[string][]string{"custody": {"الحضانة"}}}
	source := map[string]string{"x": "Jede Person mit Sorgerecht unterschreibt.", "y": "Eine Person, die sorgeberechtigt ist.", "z": "Besuch"}
	for _, tc := range []struct {
		target map[string]string
		want   int
	}{
		{map[string]string{"x": "يوقّع كل من له حق الحضانة.", "y": "شخص له الولاية", "z": "زيارة"}, 2}, // wrong term, and the refused one
		{map[string]string{"x": "يوقّع كل من له الولاية وحق الحضانة.", "y": "شخص له الولاية"}, 1},      // right term, but the refused one too
		{map[string]string{"x": "يوقّع كل من له الولاية على الطفل.", "y": "شخص له الولاية"}, 0},
	} {
		if got := glossaryFindings("ar", source, tc.target, de, ar); len(got) != tc.want {
			t.Errorf("%v: %d findings %q, want %d", tc.target, len(got), got, tc.want)
		}
	}
	// A term the language's glossary lacks is a finding too.
	if got := glossaryFindings("ar", source, map[string]string{"x": "…"}, de, glossary{}); len(got) != 1 {
		t.Errorf("missing glossary term: %q", got)
	}
}
