package manifest

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/lambdahq/lambda"
)

// placement reads the placement key: a list of constraints, or one, with
// the rule lambda deploy --placement applies.
func (p *parser) placement(v *yaml.Node) ([]string, error) {
	const key = "placement"
	var out []string
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return nil, nil
	case v.Kind == yaml.ScalarNode:
		c, err := p.str(key, v)
		if err != nil {
			return nil, err
		}
		out = []string{c}
	case v.Kind == yaml.SequenceNode:
		for i, item := range v.Content {
			c, err := p.str(fmt.Sprintf("%s[%d]", key, i), deref(item))
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	default:
		return nil, p.errAt(v.Line, key, "must be a list of constraints like \"- node.labels.gpu==true\", not %s", describe(v))
	}
	if err := lambda.ValidatePlacement(out); err != nil {
		return nil, p.errAt(v.Line, key, "%s", lambda.ErrorMessage(err))
	}
	return out, nil
}
