package shim

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
)

// Answers of the aws and handler protocols. Each protocol answers errors in
// the shape its functions' callers expect: Lambda's error document, or the
// Function URL's bare message for HTTP requests to aws functions.

// answer writes the response for inv's result; aws selects the aws
// protocol's mappings (Function URL for HTTP requests). It returns what is
// wrong with a result the function got wrong, for the logs.
func answer(w http.ResponseWriter, inv *invocation, res result, aws bool) (problem string) {
	h := w.Header()
	setBaseHeaders(h, inv, res)
	furl := aws && !inv.raw
	switch res.kind {
	case resOK:
		body := res.body.Bytes()
		if inv.raw {
			writeBody(w, http.StatusOK, "application/json", body)
			return ""
		}
		status, out, err := mapResult(body, h)
		if err != nil {
			clear(h)
			setBaseHeaders(h, inv, res)
			h.Set(hdrFunctionError, "Unhandled")
			if furl {
				writeBody(w, http.StatusBadGateway, "application/json", furlInternalError)
			} else {
				writeErrorDoc(w, http.StatusBadGateway, "Runtime.InvalidResponse", "the function returned an invalid response: "+err.Error())
			}
			return "invalid response: " + err.Error()
		}
		writeBody(w, status, "", out)
	case resError:
		h.Set(hdrFunctionError, "Unhandled")
		switch {
		case furl:
			writeBody(w, http.StatusBadGateway, "application/json", furlInternalError)
		case aws && json.Valid(res.body.Bytes()):
			writeBody(w, http.StatusInternalServerError, "application/json", res.body.Bytes())
		default:
			msg, typ := parseErrorDoc(res.body.Bytes(), res.errType)
			writeErrorDoc(w, http.StatusInternalServerError, typ, msg)
		}
	case resFailure:
		h.Set(hdrFunctionError, "Unhandled")
		if furl {
			writeBody(w, http.StatusBadGateway, "application/json", furlInternalError)
		} else {
			writeErrorDoc(w, http.StatusBadGateway, res.errType, res.message)
		}
	case resTimeout:
		h.Set(hdrFunctionError, "Unhandled")
		writeErrorDoc(w, http.StatusGatewayTimeout, "Timeout", inv.timeoutMessage())
	case resUnavailable:
		writeErrorDoc(w, http.StatusServiceUnavailable, "ServiceUnavailable", res.message)
	}
	return ""
}

// furlInternalError is what a Function URL answers for a failed function.
var furlInternalError = []byte(`{"message":"Internal Server Error"}`)

// setBaseHeaders sets the headers every answer carries.
func setBaseHeaders(h http.Header, inv *invocation, res result) {
	h.Set(hdrRequestID, inv.id)
	if res.instanceFailed != "" {
		h.Set(hdrInstanceFailed, res.instanceFailed)
	}
	if res.exit != "" {
		h.Set(hdrRuntimeExit, res.exit)
	}
	if inv.tail {
		h.Set(hdrLogResult, base64.StdEncoding.EncodeToString(res.tail))
	}
	if peak := peakMemory(); peak != "" {
		h.Set(hdrMaxMemoryUsed, peak)
	}
}

// errorDoc is the error document runtimes post to /error.
type errorDoc struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// parseErrorDoc reads a posted error; a body that is not an error document
// becomes the message.
func parseErrorDoc(body []byte, headerType string) (msg, typ string) {
	var doc errorDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		doc = errorDoc{ErrorMessage: string(body)}
	}
	if doc.ErrorType == "" {
		doc.ErrorType = headerType
	}
	if doc.ErrorType == "" {
		doc.ErrorType = "Error"
	}
	return doc.ErrorMessage, doc.ErrorType
}

// writeErrorDoc answers status with {"errorMessage","errorType"}.
func writeErrorDoc(w http.ResponseWriter, status int, typ, msg string) {
	b := make([]byte, 0, 64+len(msg))
	b = append(b, '{')
	b = appendStringField(b, "errorMessage", msg, true)
	b = appendStringField(b, "errorType", typ, false)
	b = append(b, '}')
	writeBody(w, status, "application/json", b)
}

// writeBody answers status with body, setting contentType unless the
// header is set already.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	if contentType != "" && h.Get("Content-Type") == "" {
		h.Set("Content-Type", contentType)
	}
	if status == http.StatusNoContent || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
