package manifest

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lambdahq/lambda"
)

// Bounds on converting a schedule's data: anchors and aliases can make a
// small file expand enormously.
const (
	maxDataNodes = 100_000
	maxDataDepth = 64
)

func (p *parser) schedules(v *yaml.Node) ([]Schedule, error) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, p.errAt(v.Line, "schedules", "must be a list of entries like \"- cron: '0 * * * *'\", not %s", describe(v))
	}
	p.budget = maxDataNodes
	var out []Schedule
	for i, item := range v.Content {
		item = deref(item)
		prefix := fmt.Sprintf("schedules[%d]", i)
		if item.Kind != yaml.MappingNode {
			return nil, p.errAt(item.Line, prefix, "must be a mapping with cron and optionally data, tz and overlap, not %s", describe(item))
		}
		s := Schedule{Line: item.Line}
		_, err := p.walkMapping(item, prefix+".", scheduleKeys, func(key string, k, val *yaml.Node) error {
			var err error
			name := prefix + "." + key
			switch key {
			case "cron":
				s.Cron, err = p.str(name, val)
			case "tz":
				s.Timezone, err = p.str(name, val)
			case "overlap":
				if s.Overlap, err = p.str(name, val); err == nil && !slices.Contains(lambda.OverlapPolicies, s.Overlap) {
					err = p.errAt(val.Line, name, "%q is invalid: use %s, %s or %s", s.Overlap, lambda.OverlapSkip, lambda.OverlapQueue, lambda.OverlapAllow)
				}
			case "data":
				s.Data, err = p.data(name, val)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(s.Cron) == "" {
			return nil, p.errAt(item.Line, prefix, "has no cron: add e.g. cron: \"0 * * * *\" (every hour)")
		}
		out = append(out, s)
	}
	return out, nil
}

// data converts any YAML value to the JSON payload of each invocation.
func (p *parser) data(key string, v *yaml.Node) (json.RawMessage, error) {
	val, err := p.toValue(key, v, 0)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(val)
	if err != nil {
		return nil, p.errAt(v.Line, key, "cannot be written as JSON: %v", err)
	}
	if len(b) > lambda.MaxAsyncPayloadBytes { // each tick is an asynchronous invocation
		return nil, p.errAt(v.Line, key, "is over the %d MB limit of an asynchronous invocation's payload as JSON", lambda.MaxAsyncPayloadBytes>>20)
	}
	return b, nil
}

// toValue turns a node into what encoding/json writes: map[string]any,
// []any and scalars.
func (p *parser) toValue(key string, n *yaml.Node, depth int) (any, error) {
	p.budget--
	if p.budget < 0 || depth > maxDataDepth {
		return nil, p.errAt(n.Line, key, "is too large or too deeply nested (aliases count each time they are used)")
	}
	switch n.Kind {
	case yaml.AliasNode:
		return p.toValue(key, n.Alias, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := p.toValue(key, c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				return nil, p.errAt(k.Line, key, "mapping keys must be plain values (merge keys << are not supported)")
			}
			if _, dup := out[k.Value]; dup {
				return nil, p.errAt(k.Line, key, "key %q is set twice", k.Value)
			}
			v, err := p.toValue(key, n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		return out, nil
	}
	return p.scalar(key, n)
}

func (p *parser) scalar(key string, n *yaml.Node) (any, error) {
	switch n.Tag {
	case "!!null":
		return nil, nil
	case "!!str", "!!timestamp", "!!binary":
		// JSON has no time or binary type: keep the text as written.
		return n.Value, nil
	case "!!bool":
		var b bool
		err := n.Decode(&b)
		return b, p.scalarErr(key, n, err)
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return i, nil
		}
		var u uint64
		err := n.Decode(&u)
		return u, p.scalarErr(key, n, err)
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, p.scalarErr(key, n, err)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, p.errAt(n.Line, key, "%s cannot be written as JSON", n.Value)
		}
		return f, nil
	}
	return nil, p.errAt(n.Line, key, "tag %s is not supported: use plain YAML values", n.Tag)
}

func (p *parser) scalarErr(key string, n *yaml.Node, err error) error {
	if err == nil {
		return nil
	}
	return p.errAt(n.Line, key, "%q is not a valid %s", n.Value, strings.TrimPrefix(n.Tag, "!!"))
}
