# The README's test command is `make test`; .ci/run runs it too.
GO ?= go

.PHONY: build test images vet fuzz

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/lambda ./cmd/lambda

# Base images the examples and tests use, built locally when missing.
images:
	bash scripts/base-images.sh

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt needed on the files above" && false)

test: images vet
	$(GO) test -race -count=1 -timeout 45m ./...

# A short run of every fuzz target (they also run their seeds in `make test`).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzExtract -fuzztime 30s ./archive
	$(GO) test -run '^$$' -fuzz FuzzValidate -fuzztime 30s ./cron
	$(GO) test -run '^$$' -fuzz FuzzFunctionFromHost -fuzztime 30s ./http
