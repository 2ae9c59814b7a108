#!/usr/bin/env bash
# Runs every test of every module: formatting, go vet, the race-enabled tests,
# a short run of each fuzz target of every package of the root module, and
# the root module's tests again on the oldest Go that go.mod claims
# (go1.25.0, fetched through the Go module proxy by the go command).
#
# FUZZTIME sets each fuzz target's run: default 20000x, twenty thousand
# inputs. A count, not a duration: on a busy machine a duration can end a
# run with a spurious "context deadline exceeded" (Go issue 75804, fixed in
# Go 1.27).
#
# Every step runs even if one before it failed. At the end a summary shows
# each step's result and every test that was skipped because a program it
# drives (chromium, nginx) is missing, with the command that installs it.
# The exit status is non-zero if any step failed.
set -euo pipefail
cd "$(dirname "$0")"

# Every module of the repository: the root and each nested go.mod.
mapfile -t modules < <(find . -name go.mod -not -path './.git/*' | sed 's|^\./||; s|/\?go\.mod$||; s|^$|.|' | sort)

skipdir=$(mktemp -d)
trap 'rm -rf "$skipdir"' EXIT
names=() results=() notes=()
failed=0

# record NAME NOTE SKIPLOG STATUS SECONDS: adds a summary row. A step that
# passed with skipped tests shows SKIP.
record() {
	local name=$1 note=$2 log=$3 status=$4 secs=$5 result=ok
	if [ "$status" -ne 0 ]; then
		result=FAIL
		failed=$((failed + 1))
	elif [ -s "$log" ]; then
		result=SKIP
		note="$(wc -l <"$log") tests skipped: a program they need is missing, listed below"
	fi
	names+=("$name") results+=("$result") notes+=("$note (${secs}s)")
}

# step NAME NOTE COMMAND...: runs COMMAND, its skipped tests logged to a file
# of its own, and records the result.
step() {
	local name=$1 note=$2 log
	shift 2
	log="$skipdir/${#names[@]}"
	: >"$log"
	local status=0 start=$SECONDS
	COOKIESESSION_SKIPLOG="$log" "$@" || status=$?
	record "$name" "$note" "$log" "$status" $((SECONDS - start))
}

check_format() {
	local unformatted
	unformatted=$(gofmt -l .)
	if [ -n "$unformatted" ]; then
		echo "gofmt would change:"
		echo "$unformatted"
		return 1
	fi
}

vet_and_test() {
	echo "== go vet and go test -race in $1"
	(cd "$1" && go vet ./... && go test -race -count=1 ./...)
}

# fuzz_targets prints "package target" for each fuzz target of every
# package of the root module: go test -list prints a package's targets,
# then its "ok" line.
fuzz_targets() {
	go test -list '^Fuzz' ./... | awk '/^Fuzz/ { names[n++] = $1; next } /^ok/ { for (i = 0; i < n; i++) print $2, names[i]; n = 0 }'
}

# fuzz_all runs each target of $fuzz_list for FUZZTIME, every one even if
# one before it failed, and fails if any failed or none was found.
fuzz_all() {
	local pkg target failures=()
	if [ "$fuzz_list_status" -ne 0 ] || [ -z "$fuzz_list" ]; then
		echo "no fuzz targets listed: go test -list failed or found none"
		return 1
	fi
	while read -r pkg target; do
		echo "== fuzz $target in $pkg, -fuzztime ${FUZZTIME:-20000x}"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "${FUZZTIME:-20000x}" "$pkg" || failures+=("$target")
	done <<<"$fuzz_list"
	if [ "${#failures[@]}" -ne 0 ]; then
		echo "fuzz targets that failed: ${failures[*]}"
		return 1
	fi
}

oldest=$(go list -m -f '{{.GoVersion}}')
test_oldest() {
	echo "== go test on go${oldest}"
	GOTOOLCHAIN="go${oldest}" go test -count=1 ./...
}

step gofmt "gofmt -l" check_format
for m in "${modules[@]}"; do
	step "$m" "go vet, go test -race" vet_and_test "$m"
done
fuzz_list_status=0
fuzz_list=$(fuzz_targets) || fuzz_list_status=$?
fuzz_count=0
[ -n "$fuzz_list" ] && fuzz_count=$(wc -l <<<"$fuzz_list")
fuzz_packages=0
[ -n "$fuzz_list" ] && fuzz_packages=$(cut -d' ' -f1 <<<"$fuzz_list" | sort -u | wc -l)
step fuzz "$fuzz_count targets in $fuzz_packages packages, each -fuzztime ${FUZZTIME:-20000x}" fuzz_all
step "go${oldest}" "go test ./... in the root module" test_oldest

echo
echo "==== summary"
for i in "${!names[@]}"; do
	printf '%-5s %-20s %s\n' "${results[$i]}" "${names[$i]}" "${notes[$i]}"
done
skipped=$(cat "$skipdir"/* | sort -u)
if [ -n "$skipped" ]; then
	echo
	echo "Skipped because a program is missing:"
	while IFS=$'\t' read -r test program install; do
		printf '  %-28s %s missing; install: %s\n' "$test" "$program" "$install"
	done <<<"$skipped"
	echo "Install them and run ./test.sh again: CI runs these tests and fails without them."
fi
echo "===="
if [ "$failed" -ne 0 ]; then
	echo "FAIL: $failed of ${#names[@]} steps failed"
	exit 1
fi
if [ -n "$skipped" ]; then
	echo "ok, but $(wc -l <<<"$skipped") tests did not run: see above"
else
	echo "ok: every step passed, no test skipped"
fi
