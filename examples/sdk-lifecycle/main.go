// Command sdk-lifecycle counts the words of a text and says which it does
// not know. It shows the SDK's lifecycle for expensive state: the word
// list is loaded once per instance in Init, each worker keeps a reusable
// counting table, and Stop logs what the instance did.
//
//	GET /?text=The+cat+sat+on+the+mat
//	  → {"words":6,"distinct":5,"known":3,"unknown":["mat","sat"],"worker":1,"served":1}
//	lambda invoke sdk-lifecycle --data '{"text":"hello world"}'
//	GET /                         → 400 {"errorMessage":"text is required: use ?text=…"}
package main

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"slices"
	"strings"
	"sync/atomic"
	"unicode"

	"github.com/lambdahq/lambda/sdk"
)

//go:embed words.txt
var wordList string

type counter struct {
	known   map[string]bool // read-only after Init: shared by all workers
	workers atomic.Int32
	served  atomic.Int64
}

func (c *counter) Init(ctx context.Context) error {
	c.known = map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(wordList))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
			c.known[strings.ToLower(w)] = true
		}
	}
	if len(c.known) == 0 {
		return errors.New("the word list is empty")
	}
	log.Printf("loaded %d words", len(c.known))
	return nil
}

func (c *counter) NewWorker(ctx context.Context) (sdk.Worker, error) {
	id := int(c.workers.Add(1))
	log.Printf("worker %d created", id)
	return &worker{fn: c, id: id, counts: map[string]int{}}, nil
}

func (c *counter) Stop(ctx context.Context) error {
	log.Printf("stopping after %d invocations on %d workers", c.served.Load(), c.workers.Load())
	return nil
}

// worker serves one invocation at a time, so its table needs no lock.
type worker struct {
	fn     *counter
	id     int
	served int
	counts map[string]int // cleared and reused by every invocation
}

type event struct {
	Text string `json:"text"`
}

type result struct {
	Words    int      `json:"words"`
	Distinct int      `json:"distinct"`
	Known    int      `json:"known"`
	Unknown  []string `json:"unknown"`
	Worker   int      `json:"worker"`
	Served   int      `json:"served"`
}

func (w *worker) Run(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return badRequest(ctx, fmt.Sprintf(`the event must be {"text": "…"}: %v`, err))
	}
	if strings.TrimSpace(ev.Text) == "" {
		return badRequest(ctx, "text is required: use ?text=… or {\"text\": \"…\"}")
	}
	clear(w.counts)
	words := strings.FieldsFunc(strings.ToLower(ev.Text), func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\''
	})
	for _, word := range words {
		w.counts[word]++
	}
	res := result{Words: len(words), Distinct: len(w.counts), Unknown: []string{}, Worker: w.id}
	for word := range w.counts {
		if w.fn.known[word] {
			res.Known++
		} else {
			res.Unknown = append(res.Unknown, word)
		}
	}
	slices.Sort(res.Unknown)
	w.served++
	w.fn.served.Add(1)
	res.Served = w.served
	return res, nil
}

// badRequest answers an HTTP request with 400 and fails a direct
// invocation.
func badRequest(ctx context.Context, msg string) (any, error) {
	if c, ok := sdk.FromContext(ctx); ok && c.Request != nil {
		return sdk.JSONResponse(400, map[string]string{"errorMessage": msg})
	}
	return nil, errors.New(msg)
}

func main() {
	sdk.Run(&counter{}, sdk.Info{Name: "sdk-lifecycle", Description: "counts words and finds the unknown ones",
		Params: []sdk.Param{{Name: "text", Kind: "string", Description: "the text to count"}}})
}
