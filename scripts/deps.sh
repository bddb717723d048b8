# Sourced by scripts/run and scripts/test: installs what Shoal needs on a fresh Debian 12
# machine, and nothing that is already there.

# Swift lives in /opt/swift on the project's machines; make sure it is on PATH.
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi

# Debian packages the build links against: zlib (zip, CRC32, gzip), libcurl (the Docker
# Engine API over its unix socket), mimalloc (the allocator of every shoal process); the
# interpreters the process backend runs functions with (python3, node).
shoal_apt_packages=(zlib1g-dev pkg-config libmimalloc-dev libcurl4-openssl-dev)
command -v python3 >/dev/null 2>&1 || shoal_apt_packages+=(python3 python3-venv)
command -v node >/dev/null 2>&1 || shoal_apt_packages+=(nodejs)

shoal_install_apt() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing Debian packages: ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

shoal_install_apt "${shoal_apt_packages[@]}"
