// Command calculator does arithmetic on two numbers:
//
//	GET  /?op=add&a=1&b=2               → {"result":3}
//	POST / {"op":"div","a":1,"b":4}     → {"result":0.25}
//
// ops are add, sub, mul and div. Bad input answers 400 {"error": "..."}.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"math"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	srv := &http.Server{
		Addr:              ":" + port,
		Handler:           logRequests(http.HandlerFunc(calculate)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	if err := serve(srv); err != nil {
		log.Fatal(err)
	}
}

type request struct {
	Op string   `json:"op"`
	A  *float64 `json:"a"`
	B  *float64 `json:"b"`
}

func calculate(w http.ResponseWriter, r *http.Request) {
	req, err := parse(w, r)
	if err == nil {
		var result float64
		if result, err = apply(req); err == nil {
			writeJSON(w, http.StatusOK, map[string]float64{"result": result})
			return
		}
	}
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
}

// parse reads op, a and b from a JSON POST body or from the query string.
func parse(w http.ResponseWriter, r *http.Request) (request, error) {
	var req request
	if r.Method == http.MethodPost && r.ContentLength != 0 {
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return req, fmt.Errorf(`the body must be JSON like {"op":"add","a":1,"b":2}: %v`, err)
		}
		return req, nil
	}
	q := r.URL.Query()
	req.Op = q.Get("op")
	for _, p := range []struct {
		name string
		dst  **float64
	}{{"a", &req.A}, {"b", &req.B}} {
		s := q.Get(p.name)
		if s == "" {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return req, fmt.Errorf("%s=%q is not a number", p.name, s)
		}
		*p.dst = &v
	}
	return req, nil
}

func apply(req request) (float64, error) {
	if req.A == nil || req.B == nil {
		return 0, errors.New("a and b are required: use ?op=add&a=1&b=2")
	}
	a, b := *req.A, *req.B
	if math.IsNaN(a) || math.IsInf(a, 0) || math.IsNaN(b) || math.IsInf(b, 0) {
		return 0, errors.New("a and b must be finite numbers")
	}
	var result float64
	switch req.Op {
	case "add":
		result = a + b
	case "sub":
		result = a - b
	case "mul":
		result = a * b
	case "div":
		if b == 0 {
			return 0, errors.New("division by zero")
		}
		result = a / b
	case "":
		return 0, errors.New("op is required: use add, sub, mul or div")
	default:
		return 0, fmt.Errorf("op %q is unknown: use add, sub, mul or div", req.Op)
	}
	if math.IsInf(result, 0) {
		return 0, errors.New("the result is too large")
	}
	return result, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // keep "&" readable in messages about query strings
	enc.Encode(v)
}
