# Git repositories for the git template suites (0510 over git://, http://
# and file://, 0520 over ssh): load it after helper.bash.

# git with a fixed identity and no signing, whatever the machine's config.
gitc() {
	git -c user.name='Ferry Test' -c user.email=test@example.com \
		-c commit.gpgsign=false -c tag.gpgsign=false "$@"
}

# template_repo WORK BARE BODY: a repository in WORK whose tpl/ is a
# template: ferry.yaml renders {{service}}, tpl/src/hello.js answers 200
# with BODY, README says "main"; tag v1 has README "v1"; branch next adds
# tpl/NEXT.md. Files the caller put in WORK before are committed too. A
# bare clone of it goes to BARE.
template_repo() {
	local work=$1 bare=$2 body=$3
	mkdir -p "$work/tpl/src"
	git init -q -b main "$work"
	printf 'service: {{service}}\nruntime: nodejs20\nfunctions:\n  hello:\n    handler: src/hello.handler\n' > "$work/tpl/ferry.yaml"
	printf 'exports.handler = async () => ({ statusCode: 200, body: "%s" });\n' "$body" > "$work/tpl/src/hello.js"
	echo v1 > "$work/tpl/README.md"
	gitc -C "$work" add .
	gitc -C "$work" commit -q -m one
	gitc -C "$work" tag -a -m v1 v1
	gitc -C "$work" checkout -q -b next
	echo next > "$work/tpl/NEXT.md"
	gitc -C "$work" add .
	gitc -C "$work" commit -q -m next
	gitc -C "$work" checkout -q main
	echo main > "$work/tpl/README.md"
	gitc -C "$work" commit -q -am two
	git clone -q --bare "$work" "$bare"
}
