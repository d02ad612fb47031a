package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/templates"
)

type initOptions struct {
	runtime  string
	protocol string
	template string
	name     string
	list     bool
	// out: -o table|json|yaml and --quiet, --list being a listing; init
	// DIR takes -o json (or yaml) for what it wrote.
	out listOutput
}

func newInitCommand(s *streams) *cobra.Command {
	o := &initOptions{}
	cmd := &cobra.Command{
		Use:   "init DIR",
		Short: "Write a working function (or project) to start from",
		Long: `Init writes a function that deploys and answers as is into DIR, from a
template embedded in this binary: the handler (it greets by name), a commented
lambda.yaml, a .lambdaignore, a unit test for the language's own runner (go
test, python3 -m unittest, node --test, sh) and a README saying how to deploy
it and what it answers. The function is named after DIR unless --name says
otherwise.

Pick the template with --template, or with --runtime (and --protocol, else
the runtime's first). Without either, init asks on a terminal and fails with
the list otherwise. It never overwrites: DIR must not exist or be empty.
"lambda init --list" lists the templates.`,
		Example: `  lambda init greet --runtime python
  lambda init greet --runtime go --protocol aws
  lambda init shop --template project-node
  lambda init --list`,
		Args: func(c *cobra.Command, args []string) error {
			if o.list {
				return argsRange(0, 0)(c, args)
			}
			return argsRange(1, 1)(c, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.list {
				return runInitList(s, o)
			}
			return runInit(s, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.runtime, "runtime", "", "runtime of the function: "+strings.Join(templates.Runtimes(), ", "))
	f.StringVar(&o.protocol, "protocol", "", "protocol, with --runtime: http, aws or stdio for go and dockerfile (python and node call a handler)")
	f.StringVarP(&o.template, "template", "t", "", "template name (see --list); instead of --runtime and --protocol")
	f.StringVar(&o.name, "name", "", "function (or project) name written in lambda.yaml (default: DIR's name)")
	f.BoolVar(&o.list, "list", false, "list the templates and exit")
	addListFlags(cmd, &o.out, "template names (with --list)")
	return cmd
}

// initResult is what `lambda init -o json` prints.
type initResult struct {
	Template string   `json:"template"`
	Name     string   `json:"name"`
	Dir      string   `json:"dir"`
	Files    []string `json:"files"`
	Test     string   `json:"test"`
}

func runInitList(s *streams, o *initOptions) error {
	if err := o.out.check(); err != nil {
		return err
	}
	list := templates.List()
	if o.out.data() {
		return o.out.print(s.Out, list)
	}
	if o.out.quiet {
		return printQuiet(s.Out, templateNames(list))
	}
	printTemplates(s.Out, list)
	return nil
}

func printTemplates(w io.Writer, list []templates.Template) {
	tw := newTable(w)
	fmt.Fprintln(tw, "TEMPLATE\tRUNTIME\tPROTOCOL\tDESCRIPTION")
	for _, t := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Runtime, t.Protocol, t.Description)
	}
	tw.Flush()
}

func runInit(s *streams, o *initOptions, dir string) error {
	if err := o.out.check(); err != nil {
		return err
	}
	if o.out.quiet {
		return usageErrorf("--quiet prints the template names with --list: leave it out when writing a function")
	}
	tpl, err := o.pick(s)
	if err != nil {
		return err
	}
	name := o.name
	if name == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		name = filepath.Base(abs)
		if err := lambda.ValidateName(name); err != nil {
			return usageErrorf("the directory's name %q cannot name a function (%s): pass --name NAME", name, lambda.ErrorMessage(err))
		}
	} else if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("--name: %w", err)
	}
	if err := checkInitDir(dir); err != nil {
		return err
	}
	files, err := tpl.Write(dir, name)
	if errors.Is(err, templates.ErrNotEmpty) {
		return fmt.Errorf("%s is not empty: lambda init never overwrites files; choose a new directory (it is created) or empty this one", dir)
	}
	if err != nil {
		return err
	}
	test := strings.Join(tpl.Test, " ")
	if o.out.data() {
		return o.out.print(s.Out, initResult{Template: tpl.Name, Name: name, Dir: dir, Files: files, Test: test})
	}
	what := fmt.Sprintf("function %q", name)
	if tpl.Project {
		what = fmt.Sprintf("project %q", name)
	}
	fmt.Fprintf(s.Out, "Created %s from template %s in %s:\n", what, tpl.Name, dir)
	for _, f := range files {
		fmt.Fprintf(s.Out, "  %s\n", f)
	}
	fmt.Fprintf(s.Out, "Next: cd %s && %s && lambda deploy .   (README.md says what it answers)\n", shellQuote(dir), test)
	return nil
}

// templateNames are what init --list -q prints.
func templateNames(list []templates.Template) []string {
	out := make([]string, len(list))
	for i, t := range list {
		out[i] = t.Name
	}
	return out
}

// checkInitDir refuses a DIR that exists and is no directory, saying
// what it is (Write's own errors would name a failed open or mkdir).
func checkInitDir(dir string) error {
	li, err := os.Lstat(dir)
	if err != nil {
		return nil // nothing there: Write creates it (or says why not)
	}
	fi, err := os.Stat(dir)
	switch {
	case err != nil && li.Mode()&os.ModeSymlink != 0:
		return usageErrorf("%s is a link to nothing (%v): lambda init writes a new directory, or into an empty one; remove the link or choose another", dir, err)
	case err == nil && !fi.IsDir():
		return usageErrorf("%s is a file, not a directory: lambda init writes a new directory, or into an empty one; choose another", dir)
	}
	return nil
}

// pick returns the template the flags name, or asks for one on a
// terminal.
func (o *initOptions) pick(s *streams) (templates.Template, error) {
	switch {
	case o.template != "" && (o.runtime != "" || o.protocol != ""):
		return templates.Template{}, usageErrorf("--template names the runtime and protocol itself: leave out --runtime and --protocol")
	case o.template != "":
		t, err := templates.Find(o.template)
		if err != nil {
			return t, usageErrorf("%s", lambda.ErrorMessage(err))
		}
		return t, nil
	case o.runtime != "":
		t, err := templates.For(o.runtime, o.protocol)
		if err != nil {
			return t, usageErrorf("%s", lambda.ErrorMessage(err))
		}
		return t, nil
	case o.protocol != "":
		return templates.Template{}, usageErrorf("--protocol needs --runtime (%s)", strings.Join(templates.Runtimes(), ", "))
	}
	f, ok := s.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		var b strings.Builder
		printTemplates(&b, templates.List())
		return templates.Template{}, usageErrorf("choose a template with --runtime RUNTIME [--protocol P] or --template NAME:\n%s", strings.TrimRight(b.String(), "\n"))
	}
	return askTemplate(s.In, s.Err)
}

// askTemplate shows the templates, numbered, and reads a choice: its
// number or its name.
func askTemplate(in io.Reader, out io.Writer) (templates.Template, error) {
	list := templates.List()
	tw := newTable(out)
	for i, t := range list {
		fmt.Fprintf(tw, "  %d)\t%s\t%s\n", i+1, t.Name, t.Description)
	}
	tw.Flush()
	r := bufio.NewReader(in)
	for tries := 0; tries < 3; tries++ {
		fmt.Fprintf(out, "Template [1-%d]: ", len(list))
		line, err := r.ReadString('\n')
		line = strings.TrimSpace(line)
		if n, convErr := strconv.Atoi(line); convErr == nil && n >= 1 && n <= len(list) {
			return list[n-1], nil
		}
		if t, findErr := templates.Find(line); line != "" && findErr == nil {
			return t, nil
		}
		if err != nil {
			break // end of input
		}
		fmt.Fprintf(out, "%q is not one of them: type a number from 1 to %d, or a name\n", line, len(list))
	}
	return templates.Template{}, usageErrorf("no template chosen: pass --runtime or --template")
}

// shellQuote quotes p for the "Next:" hint when it needs it.
func shellQuote(p string) string {
	if p != "" && strings.IndexFunc(p, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}
