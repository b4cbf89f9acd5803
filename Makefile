# computeladder — one app deployed three ways, measured side by side.
#
#   make lab     run the ladder lab (all three variants; local by default)
#   make test    the cross builds, then every test (integration tests need Docker and QEMU)
#
# Variables (make lab ARGS="--runs 5"):
#   ARCH          amd64|arm64 (default: this machine's)
#   TARGET        local|localstack|aws (default local): where make lab, lab-vm, lab-container, lab-lambda and sweep run
#   ENDPOINT      an AWS-compatible endpoint URL (LocalStack and other emulators), with TARGET=localstack or aws
#   ARGS          extra flags for the lab's command: `computeladder run` (make lab, lab-vm, ...) or its scenario (make lab-cold-start ARGS=--short)
#   LAB           the lab whose needs make setup checks (default all)
#   SWEEP_ARGS    extra flags for `computeladder sweep` (SWEEP_ARGS=--force)
#   COST_ARGS     flags for `computeladder cost` (make lab-cost-crossover)
#   TEST_TIMEOUT  go test's -timeout in make test (default 30m); GO, the go command

GO          ?= go
ARCH        ?= $(shell $(GO) env GOARCH)
TARGET      ?= local
ENDPOINT    ?=
# The CLI is built once per make (go build is incremental) and run as is:
# `go run` would turn every exit code into 1, and the CLI's codes mean
# something (0 ok, 1 a failure, 2 bad input or a missing prerequisite).
CLI_BIN     := bin/computeladder
CLI         := $(CLI_BIN)
TEST_TIMEOUT ?= 30m

# testcontainers-go must not start its reaper (no image can be pulled here);
# every test cleans up after itself.
export TESTCONTAINERS_RYUK_DISABLED := true
# Inside a container the bridge gateway is not reachable: reach published
# ports on loopback.
export TESTCONTAINERS_HOST_OVERRIDE ?= 127.0.0.1

.PHONY: all build cross test lint bench lockin clean lab lab-vm lab-container lab-lambda setup sweep cli

all: build

## cli: the computeladder binary (bin/computeladder), which every target below runs
cli:
	@$(GO) build -o $(CLI_BIN) ./harness/cmd/computeladder

## build: the VM binary, the Lambda bootstrap and function.zip, the container build context (bin/)
build: cli
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

## bench: in-process app throughput; deploy-to-first-200 of each local backend beside its baseline; the function's warm latency through its gateway beside direct invokes of the same environment, and the gateway's own cost per request without Docker;
## the harness's fidelity (readiness behind a stalling forwarder and against a container's own "listening" line, the load generator beside wrk, at the labs' default rate and at saturation); raw samples' size and read time
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./app/...
	$(GO) test -run '^$$' -skip GatewayOverhead -bench . -benchtime 1x -count 5 ./deployers/docker ./deployers/rie ./deployers/qemu
	$(GO) test -run '^$$' -bench 'GatewayOverhead|TopKeys|WriteResponse|EncodeRequest' -benchtime 20000x -count 3 ./deployers/rie ./deployers/rie/internal/frontend
	$(GO) test -run '^$$' -bench ReadyBehindStallingForwarder -benchtime 20x ./deployers
	$(GO) test -run '^$$' -bench Fidelity -benchtime 5x ./harness/load
	$(GO) test -run '^$$' -bench . -benchtime 3x ./harness/results ./harness/report

## lockin: lines of code and platform imports of the portable app and each adapter
lockin: cli
	$(CLI) lockin

clean:
	rm -rf bin results

## lab: the ladder lab — all three variants side by side (TARGET=local by default)
## lab-vm, lab-container, lab-lambda: one variant each
## Extra flags for `computeladder run` go in ARGS, e.g. make lab ARGS="--runs 5 --rate 200".
ARGS        ?=
RUN_FLAGS    = --target $(TARGET) $(if $(ENDPOINT),--endpoint $(ENDPOINT)) $(ARGS)

# Every lab target runs `computeladder setup <lab>` first: it installs what
# it can (QEMU, PostgreSQL, PgBouncer with apt-get) and names the rest, and
# stops with exit 2 when something is missing.
lab: cli
	$(CLI) setup ladder --target $(TARGET)
	$(CLI) run all $(RUN_FLAGS)
lab-vm: cli
	$(CLI) setup vm --target $(TARGET)
	$(CLI) run vm $(RUN_FLAGS)
lab-container: cli
	$(CLI) setup container --target $(TARGET)
	$(CLI) run container $(RUN_FLAGS)
lab-lambda: cli
	$(CLI) setup lambda --target $(TARGET)
	$(CLI) run lambda $(RUN_FLAGS)

## setup: check Docker and QEMU; install QEMU where possible (Debian/Ubuntu). LAB=<name> checks one lab's needs.
LAB         ?= all
setup: cli
	$(CLI) setup $(LAB)

## sweep: remove whatever killed runs left behind (by run-id label); runs whose owner still runs are skipped (SWEEP_ARGS=--force removes them)
SWEEP_ARGS  ?=
sweep: cli
	$(CLI) sweep --target $(TARGET) $(if $(ENDPOINT),--endpoint $(ENDPOINT)) $(SWEEP_ARGS)

## lab-cost-crossover: per-request (Lambda) against always-on (EC2, Fargate) monthly cost and the crossover rate,
## from the newest results/*/results.json that has a Lambda variant, else the default duration. Cheap: deploys nothing.
## Flags for `computeladder cost` go in COST_ARGS, e.g. make lab-cost-crossover COST_ARGS="--memory 1024 --free-tier".
COST_ARGS   ?=
.PHONY: lab-cost-crossover
lab-cost-crossover: cli
	@$(CLI) setup cost-crossover
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
lab-lock-in: cli
	$(CLI) setup lock-in
	$(CLI) lockin
	$(GO) test -count=1 -run 'TestBehaviourTable|TestModuleListsEveryAdapter|TestAppIsPortable' ./app/adapters/gcf/cmd/ ./labs/lock-in/

## lab-cold-start: an idle function goes cold after its keep-alive; a burst starts new environments; pre-warming removes the stall
## lab-state: the in-memory /whoami counter across instances, cold starts and redeploys
.PHONY: lab-cold-start lab-state
lab-cold-start: cli
	$(CLI) setup cold-start
	$(CLI) scenario cold-start $(ARGS)
lab-state: cli
	$(CLI) setup state
	$(CLI) scenario state $(ARGS)

## lab-execution-ceiling: a job longer than the function timeout fails on the function, completes on the container and the VM
.PHONY: lab-execution-ceiling
lab-execution-ceiling: cli
	$(CLI) setup execution-ceiling
	$(CLI) scenario execution-ceiling $(ARGS)

## lab-connection-storm: many function environments exhaust PostgreSQL's connections; one container's shared pool does not; the fixes
.PHONY: lab-connection-storm
lab-connection-storm: cli
	$(CLI) setup connection-storm
	$(CLI) scenario connection-storm $(ARGS)

## lab-local-friction: what the local function backend gets wrong compared with Lambda (REPORT figures, memory, IAM, events, timeout, concurrency, freeze)
.PHONY: lab-local-friction
lab-local-friction: cli
	$(CLI) setup local-friction
	$(CLI) scenario local-friction $(ARGS)

## lab-checkout: the checkout API on a function, traced — the cold-start stall after a quiet gap, PostgreSQL's
## connections exhausted by an order spike, the month's bill past the crossover — then on a container; the decision
.PHONY: lab-checkout
lab-checkout: cli
	$(CLI) setup checkout
	$(CLI) scenario checkout $(ARGS)
