#!/usr/bin/env bash
# What the tests judge with, from Debian's packages, installed where missing: JDK 17 (keytool, javac, java: the
# judges of what the collection writes), chromium (the audit report rendered as a screenshot), openssh-server,
# openssh-client and sudo (the SSH test hosts: their own sshd on 127.0.0.1, become with sudo), e2fsprogs (chattr: a
# file the role cannot write), openssl (PKCS12 written the legacy way), util-linux (su: reads as another user), and
# the program ansible-test's shellcheck sanity test runs (it skips without it), and promtool (Debian's prometheus:
# it judges the audit's metrics and the sample alert rules).
# As root it installs them with apt-get; otherwise it names them and prints the one command that does, and fails.
set -euo pipefail

# tool or file : the Debian package that has it
needed=(
    "keytool:openjdk-17-jdk-headless" "javac:openjdk-17-jdk-headless" "java:openjdk-17-jdk-headless"
    "chromium:chromium"
    "/usr/sbin/sshd:openssh-server" "ssh:openssh-client" "ssh-keygen:openssh-client" "sudo:sudo"
    "chattr:e2fsprogs" "openssl:openssl" "su:util-linux" "shellcheck:shellcheck" "promtool:prometheus"
)
missing=()
for item in "${needed[@]}"; do
    tool=${item%%:*}
    package=${item#*:}
    if [[ $tool == /* ]]; then
        [ -x "$tool" ] && continue
    else
        command -v "$tool" >/dev/null 2>&1 && continue
    fi
    [[ " ${missing[*]-} " == *" $package "* ]] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

command="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "make test needs Debian's ${missing[*]}, which the tests judge with; install them as root:" >&2
    echo "    $command" >&2
    exit 1
fi
echo "Installing what the tests judge with: ${missing[*]}"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
