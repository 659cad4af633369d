#!/usr/bin/env bats
# docs/manifest.md documents every key the manifest loader accepts and
# every variable source: the lists are read from the sources themselves
# (core/manifest.c, core/vars.c), so a new key without documentation fails.

load ../helper

# The strings of the C array `static const char *const NAME[] = { ... };`.
c_strings() {
	awk -v name="$2" '
		index($0, "static const char *const " name "[]") { on = 1 }
		on { print }
		on && /};/ { exit }' "$1" | grep -oE '"[^"]+"' | tr -d '"'
}

@test "every manifest key, runtime, method, packaging mode and variable source is in docs/manifest.md" {
	doc="$FERRY_SOURCE_DIR/docs/manifest.md"
	src="$FERRY_SOURCE_DIR/core/manifest.c"
	n=0
	for arr in top_keys fn_keys package_keys runtimes methods pack_modes providers; do
		words=$(c_strings "$src" "$arr")
		[ -n "$words" ] || { echo "no array $arr in core/manifest.c"; return 1; }
		for w in $words; do
			grep -qF -- "\`$w\`" "$doc" || grep -qF -- "$w" "$doc" ||
				{ echo "undocumented ($arr): $w"; return 1; }
			n=$((n + 1))
		done
	done
	for s in $(c_strings "$FERRY_SOURCE_DIR/core/vars.c" sources); do
		grep -qF -- "\${$s" "$doc" || { echo "undocumented variable source: \${$s:...}"; return 1; }
		n=$((n + 1))
	done
	# the lists were really read
	[ "$n" -gt 40 ]
}
