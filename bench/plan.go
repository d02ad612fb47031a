package bench

import "time"

// Plan sizes a run: how many rounds, requests and samples each comparison
// gets.
type Plan struct {
	Mode string // quick or full

	// warm: latency at concurrency 1, throughput at Concurrency.
	LatencyRounds   int
	LatencyRequests int // per variant and round
	RPSRounds       int
	RPSDuration     time.Duration // per variant and round
	Concurrency     int
	WarmupRequests  int // per variant, unmeasured, before the rounds
	// CPUSettle is the wait after each requests/s round before its CPU
	// time is read, counted with the round.
	CPUSettle time.Duration

	// cold: one gateway and one bare sample per round.
	ColdSamples int

	// stdio: both variants at StdioConcurrency.
	StdioRounds      int
	StdioDuration    time.Duration // per variant and round
	StdioConcurrency int

	// scale: ScaleInstances started in parallel, ScaleRounds times.
	ScaleInstances int
	ScaleRounds    int

	// async: DispatchSamples events sent one at a time to an idle queue,
	// then AsyncRounds of AsyncJobs events submitted by Concurrency
	// clients, interleaved with RPSDuration of synchronous requests.
	DispatchSamples int
	AsyncRounds     int
	AsyncJobs       int // per round
	AsyncWarmupJobs int // unmeasured, before the rest

	// deploy: DeploySamples of each kind of deploy, after one unmeasured
	// deploy per runtime.
	DeploySamples int
}

// QuickPlan fits a run, builds included, within 90 s on a 2-core machine.
func QuickPlan() Plan {
	return Plan{
		Mode:             "quick",
		LatencyRounds:    4,
		LatencyRequests:  500,
		RPSRounds:        3,
		RPSDuration:      time.Second,
		Concurrency:      32,
		WarmupRequests:   300,
		CPUSettle:        200 * time.Millisecond,
		ColdSamples:      5,
		StdioRounds:      2,
		StdioDuration:    1500 * time.Millisecond,
		StdioConcurrency: 4,
		ScaleInstances:   5,
		ScaleRounds:      1,
		DispatchSamples:  40,
		AsyncRounds:      3,
		AsyncJobs:        1000,
		AsyncWarmupJobs:  200,
		DeploySamples:    3,
	}
}

// FullPlan is longer and steadier: more rounds, more samples.
func FullPlan() Plan {
	return Plan{
		Mode:             "full",
		LatencyRounds:    10,
		LatencyRequests:  2000,
		RPSRounds:        8,
		RPSDuration:      3 * time.Second,
		Concurrency:      32,
		WarmupRequests:   2000,
		CPUSettle:        200 * time.Millisecond,
		ColdSamples:      20,
		StdioRounds:      5,
		StdioDuration:    3 * time.Second,
		StdioConcurrency: 4,
		ScaleInstances:   10,
		ScaleRounds:      3,
		DispatchSamples:  200,
		AsyncRounds:      6,
		AsyncJobs:        5000,
		AsyncWarmupJobs:  2000,
		DeploySamples:    5,
	}
}
