# Sourced by scripts/image: buildah and podman from Debian's packages, with no Docker engine and no registry.
# Both keep their images in one storage of their own ($IMAGE_CACHE/storage, vfs: the machine's kernel and
# sandbox allow no overlay mounts), which is also the cache of the base images between runs.

IMAGE_CACHE="${CAPACITYD_IMAGE_CACHE:-/var/tmp/capacityd-image-cache}"
mkdir -p "$IMAGE_CACHE"

# The default ulimits fail here (setrlimit RLIMIT_NOFILE: Operation not permitted); crun refuses this machine's
# hybrid cgroups, runc does not; events go to a file because there is no journald to take them.
cat > "$IMAGE_CACHE/containers.conf" <<'CONF'
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF="$IMAGE_CACHE/containers.conf"

storage_flags=(--storage-driver vfs --root "$IMAGE_CACHE/storage" --runroot "$IMAGE_CACHE/run")
bah() { buildah "${storage_flags[@]}" "$@"; }
# podman would time health checks with systemd, which is not running here; scripts/image runs them itself
# (podman healthcheck run), so that complaint is left out.
pod() { podman "${storage_flags[@]}" --cgroup-manager cgroupfs "$@" 2> >(grep -v "unable to get systemd connection" >&2); }

image_exists() { pod image exists "$1"; }

# An image of an older recipe or toolchain is removed once its successor exists.
remove_other_tags() {
    local repository="$1" keep="$2" stale
    for stale in $(pod images --format '{{.Repository}}:{{.Tag}}' "$repository"); do
        [ "$stale" = "$keep" ] || pod rmi -f "$stale" >/dev/null 2>&1 || true
    done
}

# A minimal Debian 12 made from Debian's mirror, the base of both stages, slimmed as Debian's own
# bookworm-slim is: dpkg leaves out documentation, manuals and translations, in this image and in whatever is
# installed on it later. Debian's security updates are taken by each image build's apt-get.
ensure_debian_image() {
    local name="$1"
    image_exists "$name" && return 0
    echo "image: making $name with mmdebstrap" >&2
    local tarball="$IMAGE_CACHE/bookworm-minbase.tar" excludes=()
    for path in doc man info locale groff lintian linda; do
        excludes+=("--dpkgopt=path-exclude=/usr/share/$path/*")
    done
    # The merged-usr hook makes /bin a link to /usr/bin itself, as Debian's own images are; otherwise bookworm's
    # minbase installs the usrmerge package to do it, and with it perl (50 MB) that nothing else needs.
    mmdebstrap --variant=minbase "${excludes[@]}" --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
        bookworm "$tarball" >"$IMAGE_CACHE/mmdebstrap.log" 2>&1 \
        || { tail -20 "$IMAGE_CACHE/mmdebstrap.log" >&2; return 1; }
    pod import "$tarball" "$name" >/dev/null
    rm -f "$tarball"
}

# The build stage's base (swift-image.Containerfile), keyed by the toolchain's version.
ensure_swift_image() {
    local name="$1" base="$2"
    image_exists "$name" && return 0
    # swift is TOOLCHAIN/usr/bin/swift (a link to swift-driver beside it).
    local toolchain
    toolchain="$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")"
    [ "$toolchain" != / ] && [ -x "$toolchain/usr/bin/swift-driver" ] \
        || { echo "image: no Swift toolchain at $toolchain (swift is $(command -v swift))" >&2; return 1; }
    echo "image: making $name from $base and the toolchain in $toolchain" >&2
    bah bud --quiet --isolation chroot --network host --pull=never --layers=false --build-arg "BASE=$base" \
        -f "$(dirname "${BASH_SOURCE[0]}")/swift-image.Containerfile" -t "$name" "$toolchain" >/dev/null
}

# Names the cached bases by their recipes (the two functions above and swift-image.Containerfile), and the build
# image also by the toolchain's version, so that a change to either makes new ones.
recipe="$( { declare -f ensure_debian_image ensure_swift_image; cat "$(dirname "${BASH_SOURCE[0]}")/swift-image.Containerfile"; } \
    | sha256sum | cut -c1-12)"
