// Package bench measures the platform against bare Docker: warm requests
// through the gateway against the same container hit directly, cold starts
// against a bare create+start, stdio commands in the warm pool against a
// container per call, and instances started in parallel.
//
// Variants of one comparison run in interleaved rounds (A, B, A, B …) so
// that both see the same machine noise. The package drives what it measures
// through small interfaces (Platform, Bare) and plain HTTP; cmd/lambda wires
// the real engine, gateway and Docker driver behind them.
package bench
