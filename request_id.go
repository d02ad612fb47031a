package lambda

import (
	"crypto/rand"
	"encoding/hex"
)

// NewRequestID returns a random UUID (version 4), the form of Lambda's
// request IDs. Invocations and async jobs are named by one: a job's ID is
// the request ID of each of its attempts. (The shim, which imports nothing
// of the platform, keeps its own copy.)
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}
