// Command stdio-fn is a classic stdin/stdout function: it reads the request
// body, answers one JSON line, and exits with 3 when asked to fail.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "read stdin:", err)
		os.Exit(1)
	}
	var req struct {
		Name string `json:"name"`
		Fail bool   `json:"fail"`
	}
	_ = json.Unmarshal(in, &req)
	if req.Fail {
		fmt.Fprintln(os.Stderr, "failing as asked")
		os.Exit(3)
	}
	out, _ := json.Marshal(map[string]any{
		"message": "Hello, " + req.Name + "!",
		"method":  os.Getenv("REQUEST_METHOD"),
		"bytes":   len(in),
	})
	fmt.Println(string(out))
}
