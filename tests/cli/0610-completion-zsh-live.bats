#!/usr/bin/env bats
# zsh completion in a live session: a real interactive zsh in a pseudo-terminal
# (the zsh/zpty module), with fpath holding the `_ferry` that `ferry completion
# zsh` prints, the real compsys (compinit) and the real compadd and _files.
# Keys are typed into it as a user would (`ferry inv` then TAB), and the test
# reads back what the terminal shows: the edited line, and the candidates
# zsh lists below it.
#
# Why: 0600-completion.bats runs _ferry with compadd, compset and _files
# stubbed (they only work inside a completion widget), so it checks _ferry's
# own logic, not that compsys loads the script, calls it for `ferry`, and
# turns what it adds into the line and the listing a user sees.
#
# How candidates are captured: the pty zsh has a short, unique prompt (<P>),
# a dumb terminal (no escape sequences), LISTMAX large and no beeps. After
# the keys and TAB, a second key (^T) runs a widget that prints the line
# buffer between markers, <BUF[...]>. Everything the terminal showed before
# that marker, except the prompt lines, is the listing zsh printed. Each read
# polls with a deadline, and the whole session runs under timeout(1), so a
# zsh that hangs or never prompts fails the test instead of stalling it.

load ../helper

setup() {
	common_setup
	completion_project
	echo notes > README.md

	# the session's own files, hidden in $HOME so no listing shows them
	ZSH_LIVE_DIR=$HOME/.zsh-live
	export ZSH_LIVE_DIR
	mkdir -p "$ZSH_LIVE_DIR/fpath"
	ferry completion zsh > "$ZSH_LIVE_DIR/fpath/_ferry"
	write_zsh_live_scripts
}

teardown() {
	# the driver kills its pty zsh; this is for a driver timeout(1) killed
	local pid
	pid=$(cat "$ZSH_LIVE_DIR/pid" 2>/dev/null) || pid=
	if [ -n "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	common_teardown
}

# init.zsh: sourced by the pty zsh. drive.zsh KEYS: starts the pty zsh, types
# KEYS and TAB, and prints "[line buffer]" then the listed words, one a line.
write_zsh_live_scripts() {
	cat > "$ZSH_LIVE_DIR/init.zsh" <<'ZSH'
PS1='<P>' RPS1= PS2= PS3= PS4=
unsetopt prompt_cr prompt_sp
unset zle_bracketed_paste
bindkey -e
setopt no_beep no_list_beep
LISTMAX=10000
fpath=("$ZSH_LIVE_DIR/fpath" $fpath)
autoload -U compinit
compinit -u -d "$ZSH_LIVE_DIR/zcompdump"
_live_show_buffer() { zle -I; print -r -- "<BUF[$BUFFER]>"; BUFFER= }
zle -N _live_show_buffer
bindkey '^T' _live_show_buffer
print -r -- "<READY:$$>"
ZSH

	cat > "$ZSH_LIVE_DIR/drive.zsh" <<'ZSH'
zmodload zsh/zpty zsh/datetime zsh/zselect || exit 3
setopt extended_glob
keys=$1
wait_s=${ZSH_LIVE_WAIT:-10}
pidfile=$ZSH_LIVE_DIR/pid
out=

# Reads what the terminal shows into $out until all of it matches the
# pattern $1; fails after $wait_s seconds or if the pty zsh exits.
read_until() {
	local chunk deadline=$(( EPOCHREALTIME + wait_s ))
	out=
	while (( EPOCHREALTIME < deadline )); do
		if zpty -rt z chunk; then
			out+=$chunk
			[[ $out == $~1 ]] && return 0
		elif (( $? == 2 )); then
			print -r -- "the pty zsh exited; the terminal showed:" >&2
			print -r -- "$out" >&2
			return 1
		else
			zselect -t 5
		fi
	done
	print -r -- "no $1 after ${wait_s}s; the terminal showed:" >&2
	print -r -- "$out" >&2
	return 1
}

finish() {
	local pid=
	[[ -r $pidfile ]] && pid=$(<$pidfile)
	zpty -d z 2>/dev/null
	if [[ -n $pid ]]; then
		repeat 20; do
			kill -0 $pid 2>/dev/null || break
			zselect -t 5
		done
		kill -KILL $pid 2>/dev/null
		rm -f $pidfile
	fi
	exit $1
}

# -b: non-blocking, so the reads above can poll
zpty -b z TERM=dumb zsh -f -i || exit 3
zpty -w z "source ${(q)ZSH_LIVE_DIR}/init.zsh"
read_until '*<READY:<->>*<P>*' || finish 1
print -r -- ${${out##*<READY:}%%>*} > $pidfile
zpty -w -n z "$keys"$'\t'
zpty -w -n z $'\C-t'
read_until '*<BUF\[*\]>*' || finish 1

# the rest of the prompt line is the echo of the keys; below it, the listing
nl=$'\n' cr=$'\r' esc=$'\e'
screen=${${out%%<BUF\[*}#*$nl}
screen=${screen//$esc\[[0-9;?]#[@-~]/}
listed=()
for line in "${(@f)${screen//$cr/$nl}}"; do
	[[ $line == *'<P>'* ]] || listed+=(${=line})
done
print -rl -- "[${${out##*<BUF\[}%%\]>*}]" $listed
finish 0
ZSH
}

# Types $1 and TAB into a live zsh; prints "[line buffer]" then the listed
# words, one a line.
zsh_tab() {
	timeout -k 5 60 zsh -f "$ZSH_LIVE_DIR/drive.zsh" "$1"
}

# Typing $1 then TAB leaves the line $2 and lists exactly the words $3...
# (in any order; none for a unique completion, which zsh does not list).
assert_tab() {
	local typed=$1 want got
	shift
	run zsh_tab "$typed"
	assert_status 0
	want=$(printf '[%s]\n' "$1"; shift; printf '%s\n' "$@" | grep . | LC_ALL=C sort)
	got=$(printf '%s\n' "${lines[0]}"; printf '%s\n' "${lines[@]:1}" | grep . | LC_ALL=C sort)
	if [ "$want" != "$got" ]; then
		printf 'after typing "%s" and TAB, expected:\n%s\nbut the terminal showed:\n%s\n' \
			"$typed" "$want" "$got" >&2
		return 1
	fi
}

@test "zsh live: ferry inv<TAB> completes the unique command to 'ferry invoke '" {
	assert_tab "ferry inv" "ferry invoke "
}

@test "zsh live: ferry dep<TAB> completes the unique command to 'ferry deploy '" {
	assert_tab "ferry dep" "ferry deploy "
}

@test "zsh live: ferry invoke <TAB> lists the functions of the manifest, nothing else" {
	assert_tab "ferry invoke " "ferry invoke " hello nightly
	assert_tab "ferry invoke n" "ferry invoke nightly "
}

@test "zsh live: --stage=<TAB> and -s <TAB> offer the stages of the manifest" {
	assert_tab "ferry --stage=" "ferry --stage=" dev prod staging
	assert_tab "ferry --stage=p" "ferry --stage=prod "
	assert_tab "ferry deploy -s " "ferry deploy -s " dev prod staging
	assert_tab "ferry -s st" "ferry -s staging "
}

@test "zsh live: package --explain <TAB> lists the files of the current directory, --out <TAB> its directories" {
	assert_tab "ferry package --explain " "ferry package --explain " README.md ferry.yaml home/ jobs/ src/
	assert_tab "ferry package --explain s" "ferry package --explain src/"
	# home/ is $HOME (helper.bash). zsh's default completion, which a missing
	# or unregistered _ferry leaves, would list every file here, not just directories
	assert_tab "ferry package --out " "ferry package --out " home/ jobs/ src/
}
