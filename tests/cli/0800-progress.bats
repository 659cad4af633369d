#!/usr/bin/env bats
# Progress of packaging and uploads: a bar redrawn in place on a terminal
# (files, bytes, rate), one plain line per phase without a terminal,
# nothing with -q, one JSON event per phase with --json.

load ../helper

bats_require_minimum_version 1.5.0

# sum of a field over the bundle events of a --json run
sum_bundles() { jq -s "[.[] | select(.event == \"bundle\") | .$1] | add" <<<"$2"; }

@test "without a terminal: one plain line per phase, totals matching the bundles" {
	sample_project
	run --separate-stderr ferry --json package
	assert_status 0
	files=$(sum_bundles files "$output")
	bytes=$(sum_bundles bytes "$output")
	run --separate-stderr ferry package
	assert_status 0
	size=$(awk -v b="$bytes" 'BEGIN { if (b < 1024) printf "%d B", b; else printf "%.1f KB", b / 1024 }')
	[[ "$stderr" == *"zipped $files files ($size) in "* ]]
	# no bar, no carriage return
	refute grep -q $'\r' <<<"$stderr"
	run --separate-stderr ferry deploy
	assert_status 0
	[[ "$stderr" == *"stored 2 artifacts ("* ]]
}

@test "-q: no progress at all" {
	sample_project
	run --separate-stderr ferry -q deploy
	assert_status 0
	[ -z "$stderr" ]
}

@test "--json: one progress event per phase, its counts those of the bundles" {
	sample_project
	run --separate-stderr ferry --json package
	assert_status 0
	[ "$(jq -s '[.[] | select(.event == "progress" and .phase == "package") | .items] | add' <<<"$output")" = \
	  "$(sum_bundles files "$output")" ]
	[ "$(jq -s '[.[] | select(.event == "progress" and .phase == "package") | .bytes] | add' <<<"$output")" = \
	  "$(sum_bundles bytes "$output")" ]
	run --separate-stderr ferry --json deploy
	assert_status 0
	[ "$(jq -s -c '[.[] | select(.event == "progress") | .phase]' <<<"$output")" = '["package","upload"]' ]
	[ "$(jq -s '[.[] | select(.event == "progress" and .phase == "upload") | .items] | add' <<<"$output")" = 2 ]
	# nothing new: no upload phase
	run --separate-stderr ferry --json deploy
	assert_status 0
	[ "$(jq -s -c '[.[] | select(.event == "progress") | .phase]' <<<"$output")" = '["package"]' ]
}

@test "on a terminal: a bar redrawn in place, then the summary line" {
	sample_project
	# script(1) gives ferry a terminal; its output is that terminal's
	run script -qec "$FERRY package" /dev/null
	assert_status 0
	assert_output_contains $'\r\033[K'"zipping   ["
	assert_output_contains " files  "
	assert_output_contains "/s"
	assert_output_contains "zipped "
}
