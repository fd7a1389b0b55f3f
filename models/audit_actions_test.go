package models_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"

	"kurve/models"
)

// TestAuditActionsListed: every action the code records (an Audit…
// constant of the models package) is offered by the dpo's viewer.
func TestAuditActionsListed(t *testing.T) {
	pkgs, err := parser.ParseDir(token.NewFileSet(), ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, f := range pkgs["models"].Files {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Audit") || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, err := strconv.Unquote(lit.Value); err == nil && strings.Contains(v, ".") {
						actions = append(actions, v)
					}
				}
			}
			return true
		})
	}
	if len(actions) < 40 {
		t.Fatalf("found only %d audit actions: %v", len(actions), actions)
	}
	for _, a := range actions {
		if !slices.Contains(models.AuditActions, a) {
			t.Errorf("action %s is recorded but not offered by the audit viewer (models.AuditActions)", a)
		}
	}
}
