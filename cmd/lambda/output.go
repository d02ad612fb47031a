package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"gopkg.in/yaml.v3"
)

const (
	outputTable = "table"
	outputJSON  = "json"
	outputYAML  = "yaml"
)

// listOutput holds the output flags every listing command shares:
// -o table|json|yaml and --quiet.
type listOutput struct {
	format string // "" is table
	quiet  bool
}

// addListFlags registers -o/--output and -q/--quiet on a listing command;
// what names the one column --quiet prints ("names", "IDs"), "" for a
// listing whose rows have neither (no --quiet then).
func addListFlags(cmd *cobra.Command, o *listOutput, what string) {
	cmd.Flags().StringVarP(&o.format, "output", "o", "", "output format: table, json or yaml")
	if what != "" {
		cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "print only the "+what+", one per line (for scripts)")
	}
	_ = cmd.RegisterFlagCompletionFunc("output", fixedCompletions([]string{outputTable, outputJSON, outputYAML}))
}

// check validates the flags before anything is asked of the server.
func (o *listOutput) check() error {
	switch o.format {
	case "", outputTable, outputJSON, outputYAML:
	default:
		return usageErrorf("--output %q is not supported: use table, json or yaml", o.format)
	}
	if o.quiet && o.data() {
		return usageErrorf("--quiet prints one name per line: leave out -o %s, or leave out --quiet", o.format)
	}
	return nil
}

// data reports whether the listing is printed as data (JSON or YAML)
// rather than as a table.
func (o *listOutput) data() bool { return o.format == outputJSON || o.format == outputYAML }

// print writes v as JSON or YAML, whichever -o asked for.
func (o *listOutput) print(w io.Writer, v any) error {
	if o.format == outputYAML {
		return printYAML(w, v)
	}
	return printJSON(w, v)
}

// printQuiet writes one name or ID per line: --quiet's output.
func printQuiet(w io.Writer, ids []string) error {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(id)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// printYAML writes v as YAML with the same keys, in the same order, as its
// JSON: the API types carry json tags only, so v goes through JSON and the
// YAML parser (YAML is a superset of JSON) keeps each object's key order.
func printYAML(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(escapeForYAML(b), &doc); err != nil {
		return fmt.Errorf("convert the answer to YAML: %w", err)
	}
	blockStyle(&doc)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("convert the answer to YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err = w.Write(out.Bytes())
	return err
}

// escapeForYAML escapes, as JSON's \uXXXX, the characters JSON carries
// raw in its strings but YAML's reader refuses (DEL, C1 controls, U+FFFE,
// U+FFFF) or reads as a line break (NEL). They occur only inside strings,
// so the JSON stays the same document.
func escapeForYAML(b []byte) []byte {
	if !bytes.ContainsFunc(b, yamlRefuses) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if yamlRefuses(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

func yamlRefuses(r rune) bool {
	return r >= 0x7f && r <= 0x9f || r == 0xfffe || r == 0xffff
}

// blockStyle drops the flow style ({}, [], "") the JSON came in: the
// encoder then writes block YAML, quoting only the strings that would
// otherwise read as another type ("123", "true").
func blockStyle(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && yaml11NonString(n.Value) {
		n.Style = yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// yaml11Bools are the words YAML 1.1 reads as booleans and YAML 1.2 (the
// encoder's) as strings, so the encoder leaves them plain.
var yaml11Bools = map[string]bool{"y": true, "yes": true, "n": true, "no": true, "on": true, "off": true}

// yaml11Sexagesimal is YAML 1.1's base-60 number (12:30 is 750 there).
var yaml11Sexagesimal = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$`)

// yaml11NonString reports whether a YAML 1.1 reader (PyYAML, Ruby's,
// Ansible) would read the plain scalar v as no string: it is quoted.
func yaml11NonString(v string) bool {
	return yaml11Bools[strings.ToLower(v)] || yaml11Sexagesimal.MatchString(v) ||
		// Not a YAML 1.1 matter: yaml.v3 writes a string of line breaks
		// alone as a literal block that reads back as "".
		strings.ContainsAny(v, "\n\r") && strings.TrimSpace(v) == ""
}

// colours says whether tables may colour their status cells: only when
// stdout is a terminal, and neither --no-color nor NO_COLOR
// (https://no-color.org: set to anything but "") nor TERM=dumb says no.
func colours(s *streams, noColor bool) bool {
	if noColor || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := s.Out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ANSI colours of status cells.
const (
	colourNone   = "39" // the terminal's default
	colourGreen  = "32"
	colourYellow = "33"
	colourRed    = "31"
)

// painter colours the cells of one table column. Every cell of the column,
// its header too, gets exactly the same number of invisible bytes (a 5-byte
// colour, a 4-byte reset), so tabwriter, which counts them as width, still
// aligns the columns. Off, it returns the text as is.
type painter struct{ on bool }

func (p painter) paint(colour, text string) string {
	if !p.on {
		return text
	}
	return "\x1b[" + colour + "m" + text + "\x1b[0m"
}

// status colours a status: green for what works, red for what failed,
// yellow for what waits or is unknown.
func (p painter) status(s string) string {
	colour := colourNone
	switch s {
	case "ready", "active", "succeeded", "yes":
		colour = colourGreen
	case "failed", "dead", "revoked", "error", "timeout", "crashed":
		colour = colourRed
	case "unknown", "expired", "queued", "running", "retrying", "waiting", "no":
		colour = colourYellow
	}
	return p.paint(colour, s)
}

// header leaves a column's header uncoloured, with the same invisible
// width as the coloured cells under it.
func (p painter) header(s string) string { return p.paint(colourNone, s) }

// addOutputFlag registers -o/--output on cmd.
func addOutputFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "output", "o", "", "output format: table or json")
}

// checkOutput validates an --output value; "" means table.
func checkOutput(v string) error {
	switch v {
	case "", outputTable, outputJSON:
		return nil
	}
	return usageErrorf("--output %q is not supported: use table or json", v)
}

// printJSON writes v as indented JSON, for scripts.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newTable returns a tabwriter for column output; the caller flushes it.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(&trimWriter{w: w}, 0, 0, 3, ' ', 0)
}

// trimWriter drops the spaces tabwriter pads before an empty last cell, so
// no line ends in whitespace.
type trimWriter struct {
	w      io.Writer
	spaces int // spaces held back until something follows them
}

func (t *trimWriter) Write(p []byte) (int, error) {
	var out []byte
	for _, b := range p {
		switch b {
		case ' ':
			t.spaces++
			continue
		case '\n':
			t.spaces = 0
		default:
			for ; t.spaces > 0; t.spaces-- {
				out = append(out, ' ')
			}
		}
		out = append(out, b)
	}
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// age renders how long ago t was, as "5s ago" or "3d ago".
func age(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}

// timestamp renders t for tables: UTC, to the second.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
