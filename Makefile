# computeladder — one app deployed three ways, measured side by side.
#
#   make lab     run the ladder lab (all three variants; local by default)
#   make test    the cross builds, then every test (integration tests need Docker and QEMU)
#
# Variables: ARCH (amd64|arm64; default: this machine's), TARGET (local|localstack|aws), ENDPOINT.

GO          ?= go
ARCH        ?= $(shell $(GO) env GOARCH)
TARGET      ?= local
ENDPOINT    ?=
CLI         := $(GO) run ./harness/cmd/computeladder
TEST_TIMEOUT ?= 30m

# testcontainers-go must not start its reaper (no image can be pulled here);
# every test cleans up after itself.
export TESTCONTAINERS_RYUK_DISABLED := true
# Inside a container the bridge gateway is not reachable: reach published
# ports on loopback.
export TESTCONTAINERS_HOST_OVERRIDE ?= 127.0.0.1

.PHONY: all build cross test lint bench lockin clean lab lab-vm lab-container lab-lambda setup sweep

all: build

## build: the VM binary, the Lambda bootstrap and function.zip, the container build context (bin/)
build:
	$(CLI) build --arch $(ARCH)

## cross: go build and go vet of everything for each platform the tool runs on
CROSS_PLATFORMS := linux/amd64 linux/arm64 darwin/arm64 darwin/amd64
cross:
	@set -e; for p in $(CROSS_PLATFORMS); do \
		echo "go build, go vet: $$p"; \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build ./...; \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet ./...; \
	done

## test: the cross builds and vets, then every test with the race detector
test: cross
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

## lint: go vet and a gofmt check
lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## bench: in-process app throughput; deploy-to-first-200 of each local backend beside its baseline; the function's warm latency through its gateway beside direct invokes of the same environment;
## the harness's fidelity (readiness behind a stalling forwarder and against a container's own "listening" line, the load generator beside wrk, at the labs' default rate and at saturation); raw samples' size and read time
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./app/...
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 5 ./deployers/docker ./deployers/rie ./deployers/qemu
	$(GO) test -run '^$$' -bench ReadyBehindStallingForwarder -benchtime 20x ./deployers
	$(GO) test -run '^$$' -bench Fidelity -benchtime 5x ./harness/load
	$(GO) test -run '^$$' -bench . -benchtime 3x ./harness/results ./harness/report

## lockin: lines of code and platform imports of the portable app and each adapter
lockin:
	$(CLI) lockin

clean:
	rm -rf bin results

## lab: the ladder lab — all three variants side by side (TARGET=local by default)
## lab-vm, lab-container, lab-lambda: one variant each
## Extra flags for `computeladder run` go in ARGS, e.g. make lab ARGS="--runs 5 --rate 200".
ARGS        ?=
RUN_FLAGS    = --target $(TARGET) $(if $(ENDPOINT),--endpoint $(ENDPOINT)) $(ARGS)

lab: setup
	$(CLI) run all $(RUN_FLAGS)
lab-vm:
	$(CLI) setup vm
	$(CLI) run vm $(RUN_FLAGS)
lab-container:
	$(CLI) setup container
	$(CLI) run container $(RUN_FLAGS)
lab-lambda:
	$(CLI) setup lambda
	$(CLI) run lambda $(RUN_FLAGS)

## setup: check Docker and QEMU; install QEMU where possible (Debian/Ubuntu)
setup:
	$(CLI) setup all

## sweep: remove whatever killed runs left behind (by run-id label)
sweep:
	$(CLI) sweep --target $(TARGET) $(if $(ENDPOINT),--endpoint $(ENDPOINT))

## lab-cost-crossover: per-request (Lambda) against always-on (EC2, Fargate) monthly cost and the crossover rate,
## from the newest results/*/results.json that has a Lambda variant, else the default duration. Cheap: deploys nothing.
## Flags for `computeladder cost` go in COST_ARGS, e.g. make lab-cost-crossover COST_ARGS="--memory 1024 --free-tier".
COST_ARGS   ?=
.PHONY: lab-cost-crossover
lab-cost-crossover:
	@latest=$$(ls -t results/*/results.json 2>/dev/null | xargs -r grep -l '"variant": "lambda"' | head -n 1); \
	if [ -n "$$latest" ]; then \
		echo "Durations from $$latest (the newest run with a Lambda variant)."; \
		$(CLI) cost "$$latest" $(COST_ARGS); \
	else \
		echo "No results/*/results.json with a Lambda variant: using the default duration (run make lab-lambda to measure one)."; \
		$(CLI) cost $(COST_ARGS); \
	fi

## lab-lock-in: the lockin table, then the Google Cloud Functions adapter against the behaviour table and the portability guard
.PHONY: lab-lock-in
lab-lock-in:
	$(CLI) lockin
	$(GO) test -count=1 -run 'TestBehaviourTable|TestModuleListsEveryAdapter|TestAppIsPortable' ./app/adapters/gcf/cmd/ ./labs/lock-in/

## lab-cold-start: an idle function goes cold after its keep-alive; a burst starts new environments; pre-warming removes the stall
## lab-state: the in-memory /whoami counter across instances, cold starts and redeploys
.PHONY: lab-cold-start lab-state
lab-cold-start:
	$(CLI) setup lambda
	$(CLI) scenario cold-start $(ARGS)
lab-state:
	$(CLI) setup lambda
	$(CLI) scenario state $(ARGS)

## lab-execution-ceiling: a job longer than the function timeout fails on the function, completes on the container and the VM
.PHONY: lab-execution-ceiling
lab-execution-ceiling:
	$(CLI) setup all
	$(CLI) scenario execution-ceiling $(ARGS)

## lab-connection-storm: many function environments exhaust PostgreSQL's connections; one container's shared pool does not; the fixes
.PHONY: lab-connection-storm
lab-connection-storm:
	$(CLI) setup lambda
	$(CLI) scenario connection-storm $(ARGS)

## lab-local-friction: what the local function backend gets wrong compared with Lambda (REPORT figures, memory, IAM, events, timeout, concurrency, freeze)
.PHONY: lab-local-friction
lab-local-friction:
	$(CLI) setup lambda
	$(CLI) scenario local-friction $(ARGS)

## lab-checkout: the checkout API on a function, traced — the cold-start stall after a quiet gap, PostgreSQL's
## connections exhausted by an order spike, the month's bill past the crossover — then on a container; the decision
.PHONY: lab-checkout
lab-checkout:
	$(CLI) setup container
	$(CLI) setup lambda
	$(CLI) scenario checkout $(ARGS)
