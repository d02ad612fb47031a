package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lambdahq/lambda/engine"
)

// defaultPreinit is --preinit-instances' default.
var defaultPreinit = strconv.Itoa(engine.DefaultPreinitSize)

// parsePreinit reads --preinit-instances: N for every runtime, or
// RUNTIME=N pairs (python=2,node=0) over the default, N from 0 to 20.
func parsePreinit(s string) (engine.PreinitConfig, error) {
	cfg := engine.PreinitConfig{Size: engine.DefaultPreinitSize}
	bad := func(part string) error {
		return fmt.Errorf("--preinit-instances %q is invalid at %q: use a number from 0 to 20 for every runtime, or RUNTIME=N pairs such as python=2,node=0", s, part)
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		name, num, pair := strings.Cut(part, "=")
		if !pair {
			num = name
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 0 || n > 20 || (pair && name == "") {
			return cfg, bad(part)
		}
		if !pair {
			cfg.Size = n
			continue
		}
		if cfg.Sizes == nil {
			cfg.Sizes = map[string]int{}
		}
		cfg.Sizes[name] = n
	}
	return cfg, nil
}
