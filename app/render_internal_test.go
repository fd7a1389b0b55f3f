package app

import (
	"bytes"
	"html/template"
	"strings"
	"testing"
	"testing/fstest"

	"kurve/models"
)

// TestRendererOneSet checks the renderer's single template set: each page
// renders its own content inside its own layout, with the shared partials
// and a helper of its own, and a name defined twice or a page without
// content is refused at start.
func TestRendererOneSet(t *testing.T) {
	files := fstest.MapFS{
		"templates/layout.html":     {Data: []byte(`{{define "layout"}}<main>{{template "content" .}}</main>{{end}}`)},
		"templates/doc_layout.html": {Data: []byte(`{{define "layout"}}<article>{{template "content" .}}</article>{{end}}`)},
		"templates/_partials.html":  {Data: []byte(`{{define "shout"}}<b>{{.}}</b>{{end}}`)},
		"templates/a.html":          {Data: []byte(`{{define "content"}}A {{template "shout" .}} {{template "a_helper"}}{{end}}{{define "a_helper"}}a-only{{end}}`)},
		"templates/b.html":          {Data: []byte(`{{define "content"}}B {{template "shout" "<x>"}}{{end}}`)},
		"templates/doc_c.html":      {Data: []byte(`{{define "content"}}C{{end}}`)},
	}
	r, err := NewRenderer(files)
	if err != nil {
		t.Fatal(err)
	}
	for page, want := range map[string]string{
		"a.html":     "<main>A <b>1</b> a-only</main>",
		"b.html":     "<main>B <b>&lt;x&gt;</b></main>",
		"doc_c.html": "<article>C</article>",
	} {
		var buf bytes.Buffer
		if err := r.set.ExecuteTemplate(&buf, r.pages[page], 1); err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		if buf.String() != want {
			t.Errorf("%s: %q, want %q", page, buf.String(), want)
		}
	}

	for name, broken := range map[string]fstest.MapFS{
		"a name defined twice":     withFile(files, "templates/d.html", `{{define "content"}}D{{end}}{{define "a_helper"}}again{{end}}`),
		"a partial redefined":      withFile(files, "templates/_more.html", `{{define "shout"}}again{{end}}`),
		"a page without content":   withFile(files, "templates/e.html", `{{define "other"}}E{{end}}`),
		"a layout without content": withFile(files, "templates/layout.html", `{{define "layout"}}<main></main>{{end}}`),
	} {
		if _, err := NewRenderer(broken); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.HasPrefix(err.Error(), "app: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// withFile is files with one file added or replaced.
func withFile(files fstest.MapFS, name, text string) fstest.MapFS {
	out := fstest.MapFS{}
	for k, v := range files {
		out[k] = v
	}
	out[name] = &fstest.MapFile{Data: []byte(text)}
	return out
}

// TestStaffOptions: the staff choice writes what the template range wrote,
// escaped as html/template escapes there: a name cannot close the option,
// a value cannot leave its attribute, and only the chosen one is selected.
func TestStaffOptions(t *testing.T) {
	staff := []models.Staff{{ID: `a"b`, Name: `</option><script>x()</script>`}, {ID: "2", Name: "Ayşe & Co'"}}
	got := string(staffOptions(staff, "2"))
	want := `<option value="a&#34;b">` + fsi + `&lt;/option&gt;&lt;script&gt;x()&lt;/script&gt;` + pdi + `</option>` +
		`<option value="2" selected>` + fsi + `Ayşe &amp; Co&#39;` + pdi + `</option>`
	if got != want {
		t.Errorf("staffOptions:\n got %s\nwant %s", got, want)
	}
	tmpl := template.Must(template.New("t").Funcs(template.FuncMap{"isolate": isolate}).Parse(
		`{{range .S}}<option value="{{.ID}}"{{if eq .ID $.Sel}} selected{{end}}>{{isolate .Name}}</option>{{end}}`))
	var b strings.Builder
	if err := tmpl.Execute(&b, map[string]any{"S": staff, "Sel": "2"}); err != nil {
		t.Fatal(err)
	}
	if b.String() != got {
		t.Errorf("the template range wrote\n%s\nstaffOptions\n%s", b.String(), got)
	}
}

// TestWorkerLoadRows: the coordinator's caseload rows written by
// workerLoadRows are what the template range wrote, escaping included.
func TestWorkerLoadRows(t *testing.T) {
	loads := []workerLoad{{ID: `a"b`, Name: `</bdi><script>x()</script>`, Open: 12, Active: 7}, {ID: "2", Name: "Ayşe & Co'", Open: 0, Active: 0}}
	got := string(workerLoadRows(loads, `Fach"kraft`, "Laufende <Fälle>", "Davon & mehr"))
	tmpl := template.Must(template.New("t").Parse(`{{range .L}}<tr class="worker-load" data-id="{{.ID}}">` +
		`<th scope="row" data-label="{{$.W}}"><bdi>{{.Name}}</bdi></th>` +
		`<td data-label="{{$.O}}" class="load-open">{{.Open}}</td>` +
		`<td data-label="{{$.A}}" class="load-active">{{.Active}}</td></tr>` + "\n" + `{{end}}`))
	var b strings.Builder
	if err := tmpl.Execute(&b, map[string]any{"L": loads, "W": `Fach"kraft`, "O": "Laufende <Fälle>", "A": "Davon & mehr"}); err != nil {
		t.Fatal(err)
	}
	if b.String() != got {
		t.Errorf("the template range wrote\n%s\nworkerLoadRows\n%s", b.String(), got)
	}
	if strings.Contains(got, "<script>") || !strings.Contains(got, `data-label="Fach&#34;kraft"`) {
		t.Errorf("not escaped: %s", got)
	}
}
