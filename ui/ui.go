// Package ui is the web dashboard: plain HTML, CSS and JavaScript modules
// embedded in the binary and served by the server at /ui/ (http/ui.go).
// The files hold no data: the page asks for a key, keeps it in the
// browser's session storage, and reads and acts through the public /v1
// API with it, as the CLI does. There is no build step: what is in
// assets/ is what the browser runs.
package ui

import (
	"embed"
	"io/fs"
)

//go:embed assets
var files embed.FS

// Assets returns the dashboard's files, index.html at the root.
func Assets() fs.FS {
	sub, err := fs.Sub(files, "assets")
	if err != nil {
		panic(err) // "assets" is embedded above: it is always there
	}
	return sub
}
