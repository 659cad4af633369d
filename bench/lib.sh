# bench/lib.sh - shared by the bench scripts (sourced, not run).

# readme_section NAME HEADING TEXT: put TEXT into bench/README.md between
# <!-- NAME --> and <!-- /NAME -->, replacing what was there; the first
# time, append it under "## HEADING".
readme_section() {
	python3 - "$(dirname "${BASH_SOURCE[0]}")/README.md" "$1" "$2" "$3" <<'PY'
import sys
path, name, heading, body = sys.argv[1:5]
text = open(path).read()
start, end = "<!-- %s -->" % name, "<!-- /%s -->" % name
block = start + "\n" + body + "\n" + end
if start in text:
    a = text.index(start)
    b = text.index(end) + len(end)
    text = text[:a] + block + text[b:]
else:
    text = text.rstrip("\n") + "\n\n## " + heading + "\n\n" + block + "\n"
open(path, "w").write(text)
PY
}
