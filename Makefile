# The README's test command is `make test`; .ci/run runs it too.
GO ?= go

.PHONY: build install test images vet fuzz

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/lambda ./cmd/lambda

# Puts `lambda` on PATH as `go install` does: in $GOBIN, else $(go env GOPATH)/bin.
install:
	CGO_ENABLED=0 $(GO) install -trimpath ./cmd/lambda
	@dir="$$($(GO) env GOBIN)"; [ -n "$$dir" ] || dir="$$($(GO) env GOPATH)/bin"; \
	echo "Installed $$dir/lambda"; \
	case ":$$PATH:" in *":$$dir:"*) ;; *) echo "$$dir is not on your PATH: add it, e.g. export PATH=\"$$dir:\$$PATH\"";; esac

# Base images the examples and tests use, built locally when missing.
images:
	bash scripts/base-images.sh

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt needed on the files above" && false)

test: images vet
	$(GO) test -race -count=1 -timeout 45m ./...

# A short run of every fuzz target, FUZZTIME each (they also run their seeds
# in `make test`); scripts/fuzz.sh finds the targets.
FUZZTIME ?= 10s
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh
