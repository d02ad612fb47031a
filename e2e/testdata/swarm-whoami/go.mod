module swarmwhoami

go 1.22
