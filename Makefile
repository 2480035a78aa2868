# kelb: see README.md. Everything a fresh machine needs is built by these targets.
SHELL := /usr/bin/env bash
GO ?= go

.PHONY: all help build test unit integration sandbox bench verify generate kube-tools vet lint image chart iam-coverage clean

all: build

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /\1\t/' | expand -t 14

# -buildvcs=auto: the commit goes into the binary (kelb --version) wherever
# git is there, whatever GOFLAGS says.
build: ## build bin/kelb
	$(GO) build -buildvcs=auto -o bin/kelb ./cmd/kelb

# No daemon and no base image: a static binary, a non-root user and CA
# certificates in one layer. Same commit, same digest.
image: ## build the container image (OCI layout bin/image, tarball bin/kelb-image.tar); prints its digest
	$(GO) run ./hack/image

# Control-plane binaries (kube-apiserver, etcd, kubectl) from Go modules, once per machine.
kube-tools: ## build kube-apiserver, etcd and kubectl from Go modules (once per machine)
	@hack/build-kube-tools.sh >/dev/null

test: kube-tools vet ## vet, then every test with -race (unit and integration)
	$(GO) test -race -timeout 30m ./...

unit: ## unit tests only
	$(GO) test -race $$($(GO) list ./... | grep -v /test/)

integration: kube-tools ## integration tests only (real apiserver, etcd, AWS emulator)
	$(GO) test -race -timeout 30m ./test/...

vet: ## go vet
	$(GO) vet ./...

# golangci-lint is a tool of its own module (hack/tools), so that its many
# dependencies do not move the versions kelb builds with. Config: .golangci.yaml.
LINT := $(GO) tool -modfile=hack/tools/go.mod golangci-lint

lint: ## golangci-lint on the whole tree (.golangci.yaml)
	$(LINT) run ./...

sandbox: kube-tools build ## local apiserver + etcd + AWS emulator + kelb + examples; prints what kelb made
	$(GO) run ./hack/sandbox

# Scenarios on the real local parts; prints wall time, AWS calls and memory.
bench: kube-tools build ## benchmark scenarios (BENCH_ARGS=-scenarios ...); prints figures
	$(GO) run ./hack/bench $(BENCH_ARGS)

generate: ## CRDs, deepcopy and RBAC from controller-gen
	$(GO) tool controller-gen object paths=./api/...
	$(GO) tool controller-gen crd paths=./api/... output:crd:artifacts:config=config/crd
	$(GO) tool controller-gen rbac:roleName=kelb paths=./internal/... output:rbac:artifacts:config=config/rbac
	$(GO) run ./hack/chart-sync

# Fails when generated files or formatting drift from the sources.
verify: generate lint ## fail on generated-file, formatting, lint or go.mod drift
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt drift"; exit 1; }
	@git diff --exit-code -- config/ api/ charts/ || { echo "generated files drift: run make generate and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- config/ api/ charts/)" || { git status --porcelain -- config/ api/ charts/; echo "generated files not committed: run make generate and commit"; exit 1; }
	$(GO) mod tidy -diff
	cd hack/tools && $(GO) mod tidy -diff
	@$(MAKE) --no-print-directory iam-coverage

# The chart rendered with Helm's Go SDK, as `helm template` (no helm binary
# needed): make chart CHART_ARGS="--set clusterName=demo -f my-values.yaml".
CHART_ARGS ?= --set clusterName=my-cluster
chart: ## print charts/kelb rendered as `helm template` does (CHART_ARGS=--set k=v -f values.yaml)
	@$(GO) run ./hack/helm-template $(CHART_ARGS)

iam-coverage: ## list IAM policy actions no kelb call exercised in the last integration run
	@$(GO) run ./hack/iamcoverage

clean: ## remove built binaries
	rm -rf bin/kelb bin/sandbox bin/image bin/kelb-image.tar
