// Package views holds the server-rendered HTML templates and the static
// assets (CSS, JavaScript for progressive enhancement) of the web interface.
package views

import (
	"embed"
	"io/fs"
	"net/http"
)

// Templates contains the page templates; layout.html wraps every page.
//
//go:embed templates/*.html
var Templates embed.FS

// Static contains the assets served under /static.
//
//go:embed static
var Static embed.FS

// StaticFS returns the static assets as an http.FileSystem rooted at static/.
func StaticFS() http.FileSystem {
	sub, err := fs.Sub(Static, "static")
	if err != nil {
		panic(err)
	}
	return http.FS(sub)
}
