package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// answer returns {"message": "Hello, NAME!"}: the name comes from the JSON
// body ({"name": "Ada"}, what `lambda invoke --data` sends) or the query
// (?name=Ada); World when there is none. greeting "" is Hello.
func answer(body []byte, query, greeting string) ([]byte, error) {
	q, _ := url.ParseQuery(query)
	name := q.Get("name")
	if len(strings.TrimSpace(string(body))) > 0 {
		var in struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, fmt.Errorf(`the body must be JSON like {"name": "World"}: %w`, err)
		}
		if in.Name != "" {
			name = in.Name
		}
	}
	if name = strings.TrimSpace(name); name == "" {
		name = "World"
	}
	if greeting == "" {
		greeting = "Hello"
	}
	msg, err := json.Marshal(greeting + ", " + name + "!")
	if err != nil {
		return nil, err
	}
	return []byte(fmt.Sprintf("{\"message\": %s}\n", msg)), nil
}
