#!/usr/bin/env bats
# Every relative link in README.md and docs/ points at a file that exists.

load ../helper

@test "relative links in the docs resolve" {
	cd "$FERRY_SOURCE_DIR"
	bad=0
	n=0
	for f in README.md docs/*.md docs/*/*.md; do
		dir=$(dirname "$f")
		while IFS= read -r target; do
			n=$((n + 1))
			path=${target%%#*}
			[ -z "$path" ] && continue
			if [ ! -e "$dir/$path" ]; then
				echo "$f: broken link ($target)"
				bad=1
			fi
		done < <(grep -oE '\]\([^)#][^)]*\)' "$f" | sed 's/^](//; s/)$//' | grep -vE '^[a-z]+:')
	done
	[ "$n" -gt 10 ]
	[ "$bad" -eq 0 ]
}
