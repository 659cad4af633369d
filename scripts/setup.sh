#!/usr/bin/env bash
# Installs what building and testing ferry needs, from Debian packages only,
# skipping what is already there. Safe to run again. Needs root (or sudo).
set -euo pipefail

packages=(
	build-essential cmake pkg-config git
	libyaml-dev libarchive-dev libcurl4-openssl-dev libssl-dev
	libgit2-dev libjansson-dev libmicrohttpd-dev
	libcmocka-dev bats zip unzip jq curl
	lighttpd			# serves git-http-backend to the git template tests
	openssh-server openssh-client	# sshd, ssh-agent, ssh-keyscan of the ssh template tests
	man-db groff-base bsdextrautils	# the manual page test
	bash-completion zsh fish	# shell completion tests
	clang libclang-rt-14-dev	# fuzzing and sanitizers
	nodejs python3			# runtimes of the local provider
)

missing=()
for p in "${packages[@]}"; do
	# A runtime already on PATH (for example from nvm or pyenv) is enough.
	case $p in
	nodejs) command -v node >/dev/null && continue ;;
	python3) command -v python3 >/dev/null && continue ;;
	esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}" >&2
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
