package app

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"sync"

	"kurve/views"
)

// assetHashes maps each static asset's name (app.css) to the first 16 hex
// digits of its SHA-256: its URL carries it (/static/app.css?v=…), so a
// browser may keep the file for a year and still never use a stale one
// after a release; it is the ETag too (issue 15).
var assetHashes = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	sub, err := fs.Sub(views.Static, "static")
	if err != nil {
		panic(err)
	}
	_ = fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[path] = hex.EncodeToString(sum[:8])
		return nil
	})
	return out
})

// assetURL is the fingerprinted URL of a static asset (template func
// "asset"); an unknown name keeps its plain URL.
func assetURL(name string) string {
	if h, ok := assetHashes()[name]; ok {
		return "/static/" + name + "?v=" + h
	}
	return "/static/" + name
}
