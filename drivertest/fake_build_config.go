package drivertest

import (
	"encoding/json"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// recordBuildLocked records what InspectImage reports about an image the
// Fake built: the final stage's base image config with the Dockerfile's
// ENV, ENTRYPOINT, CMD, WORKDIR, USER, EXPOSE and LABEL applied, and the
// build's labels on top, as Docker's builder does.
func (f *Fake) recordBuildLocked(id string, steps []instruction, buildLabels map[string]string) {
	last := 0
	for i, s := range steps {
		if s.Cmd == "FROM" {
			last = i
		}
	}
	img := &lambda.Image{}
	words := strings.Fields(steps[last].Args)
	for len(words) > 1 && strings.HasPrefix(words[0], "--") {
		words = words[1:]
	}
	if base := f.resolveLocked(words[0]); base != nil && words[0] != "scratch" {
		*img = *f.describeLocked(base)
	}
	img.ID, img.Tags, img.CreatedAt = id, nil, time.Now().UTC()
	labels := maps.Clone(img.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	for _, s := range steps[last+1:] {
		switch s.Cmd {
		case "ENV":
			for k, v := range keyValues(s.Args) {
				img.Env = slices.DeleteFunc(slices.Clone(img.Env), func(e string) bool { return strings.HasPrefix(e, k+"=") })
				img.Env = append(img.Env, k+"="+v)
			}
		case "LABEL":
			maps.Copy(labels, keyValues(s.Args))
		case "ENTRYPOINT":
			img.Entrypoint, img.Cmd = execForm(s.Args), nil
		case "CMD":
			img.Cmd = execForm(s.Args)
		case "WORKDIR":
			img.WorkingDir = path.Join("/", img.WorkingDir, s.Args)
		case "USER":
			img.User = s.Args
		case "EXPOSE":
			for _, p := range strings.Fields(s.Args) {
				num, proto, _ := strings.Cut(p, "/")
				if n, err := strconv.Atoi(num); err == nil && (proto == "" || proto == "tcp") && !slices.Contains(img.Ports, n) {
					img.Ports = append(img.Ports, n)
				}
			}
			slices.Sort(img.Ports)
		}
	}
	maps.Copy(labels, buildLabels)
	img.Labels = labels
	f.setMetaLocked(id, img)
}

// execForm reads a JSON array, or wraps shell form in /bin/sh -c.
func execForm(args string) []string {
	var list []string
	if strings.HasPrefix(args, "[") && json.Unmarshal([]byte(args), &list) == nil {
		return list
	}
	return []string{"/bin/sh", "-c", args}
}

// keyValues reads ENV and LABEL arguments: K=V pairs with optional
// quotes, or the legacy "K V" form of ENV.
func keyValues(args string) map[string]string {
	out := map[string]string{}
	words := shellWords(args)
	if len(words) > 0 && !strings.Contains(words[0], "=") {
		k, v, _ := strings.Cut(args, " ")
		out[k] = strings.TrimSpace(v)
		return out
	}
	for _, w := range words {
		if k, v, ok := strings.Cut(w, "="); ok {
			out[k] = v
		}
	}
	return out
}

// shellWords splits s at unquoted spaces, removing the quotes.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
