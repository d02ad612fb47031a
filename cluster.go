package lambda

// Node is one machine of a cluster backend, as /healthz reports it.
type Node struct {
	ID           string `json:"id"`
	Hostname     string `json:"hostname"`
	Role         string `json:"role"`         // manager or worker
	State        string `json:"state"`        // ready, down, unknown, disconnected
	Availability string `json:"availability"` // active, pause or drain
	Addr         string `json:"addr,omitempty"`
	Leader       bool   `json:"leader,omitempty"`
}

// Ready reports whether the node takes new instances.
func (n Node) Ready() bool { return n.State == "ready" && n.Availability == "active" }
