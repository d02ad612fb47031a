package lambda

import (
	"regexp"
	"strings"
)

// MaxPlacements bounds a function's placement constraints.
const MaxPlacements = 16

// placementRe is Swarm's constraint syntax: an attribute (node.id,
// node.hostname, node.role, node.platform.os, node.labels.KEY,
// engine.labels.KEY…), == or !=, and a value.
var placementRe = regexp.MustCompile(`^(node|engine)\.[A-Za-z0-9_.\-]+ *(==|!=) *[A-Za-z0-9_.\-:/=]+$`)

// ValidatePlacement checks placement constraints before they reach a
// scheduler, which would otherwise refuse them only once an instance
// starts, or never place it.
func ValidatePlacement(constraints []string) error {
	if len(constraints) > MaxPlacements {
		return Errorf(EINVALID, "%d placement constraints, at most %d", len(constraints), MaxPlacements)
	}
	for _, c := range constraints {
		if !placementRe.MatchString(strings.TrimSpace(c)) {
			return Errorf(EINVALID, "placement constraint %q is invalid: want ATTRIBUTE==VALUE or ATTRIBUTE!=VALUE, e.g. node.labels.gpu==true or node.hostname!=node-3", c)
		}
	}
	return nil
}
