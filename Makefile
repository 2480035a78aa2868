# kelb: see README.md. Everything a fresh machine needs is built by these targets.
SHELL := /usr/bin/env bash
GO ?= go

.PHONY: all build test unit integration sandbox bench verify generate kube-tools vet clean

all: build

build:
	$(GO) build -o bin/kelb ./cmd/kelb

# Control-plane binaries (kube-apiserver, etcd, kubectl) from Go modules, once per machine.
kube-tools:
	@hack/build-kube-tools.sh >/dev/null

test: kube-tools vet
	$(GO) test -race -timeout 30m ./...

unit:
	$(GO) test -race $$($(GO) list ./... | grep -v /test/)

integration: kube-tools
	$(GO) test -race -timeout 30m ./test/...

vet:
	$(GO) vet ./...

sandbox: kube-tools build
	$(GO) run ./hack/sandbox

# Scenarios on the real local parts; prints wall time, AWS calls and memory.
bench: kube-tools build
	$(GO) run ./hack/bench $(BENCH_ARGS)

generate:
	$(GO) tool controller-gen object paths=./api/...
	$(GO) tool controller-gen crd paths=./api/... output:crd:artifacts:config=config/crd
	$(GO) tool controller-gen rbac:roleName=kelb paths=./internal/... output:rbac:artifacts:config=config/rbac

# Fails when generated files or formatting drift from the sources.
verify: generate
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt drift"; exit 1; }
	@git diff --exit-code -- config/ api/ || { echo "generated files drift: run make generate and commit"; exit 1; }
	$(GO) mod tidy -diff

clean:
	rm -rf bin/kelb bin/sandbox
