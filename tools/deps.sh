#!/bin/sh
# Install the Debian packages tern needs to build, test and try it —
# only the missing ones (through sudo when not root).
set -e
PKGS="build-essential autoconf automake autopoint gettext pkg-config git
libglib2.0-dev libgmime-3.0-dev libncurses-dev libssl-dev libsqlite3-dev zlib1g-dev
libxml2-dev libcurl4-openssl-dev libgpgme-dev gnupg gpgsm gpg-agent dovecot-imapd openssl python3 python3-aiosmtpd
tmux ncurses-term clang locales time zsh"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "tern: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Do not let the package start the system-wide Dovecot: tests run their own.
$SUDO apt-get install -y -qq --no-install-recommends $missing
