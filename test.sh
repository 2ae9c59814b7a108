#!/usr/bin/env bash
# Runs every test of every module: formatting, go vet, the race-enabled tests,
# a short run of each fuzz target (FUZZTIME, default 5s each), and the root
# module's tests again on the oldest Go that go.mod claims (go1.25.0, fetched
# through the Go module proxy by the go command).
set -euo pipefail
cd "$(dirname "$0")"

modules=(. bench e2e examples/routers examples/gorilla)

unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"
	echo "$unformatted"
	exit 1
fi

for m in "${modules[@]}"; do
	echo "== go vet and go test -race in $m"
	(cd "$m" && go vet ./... && go test -race -count=1 ./...)
done

for target in $(go test -list '^Fuzz' . | grep '^Fuzz'); do
	echo "== fuzz $target for ${FUZZTIME:-5s}"
	go test -run '^$' -fuzz "^${target}\$" -fuzztime "${FUZZTIME:-5s}" .
done

oldest=$(go list -m -f '{{.GoVersion}}')
echo "== go test on go${oldest}"
GOTOOLCHAIN="go${oldest}" go test -count=1 ./...
