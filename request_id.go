package lambda

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// NewRequestID returns a time-ordered UUID (version 7, RFC 9562: 48 bits
// of Unix milliseconds, then 74 random bits), in the form of Lambda's
// request IDs. Invocations and async jobs are named by one: a job's ID is
// the request ID of each of its attempts. Time order matters to the
// store: the keys indexed by ID (jobs, the history's IDs) grow at their
// end and are pruned from their start, instead of rewriting a random page
// of a large index per record as random (version 4) IDs did. (The shim,
// which imports nothing of the platform, keeps its own copy.)
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[6:]) // never fails since Go 1.24
	ms := uint64(time.Now().UnixMilli())
	binary.BigEndian.PutUint16(b[0:2], uint16(ms>>32))
	binary.BigEndian.PutUint32(b[2:6], uint32(ms))
	b[6] = b[6]&0x0f | 0x70
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
