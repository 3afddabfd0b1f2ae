#!/usr/bin/env bash
# Builds the local images of the test environment, offline, without a registry:
#   lifeboat/base:bookworm     Debian 12 rootfs (mmdebstrap) with postgresql-15 + python3 libs
#   lifeboat/postgres:15       PostgreSQL 15 server, official-image-like entrypoint
#   lifeboat/sms-web:latest    the runbook's app: Alembic migrations + /health (demo/backend)
#   lifeboat/helper:latest     busybox-static only (~2 MB), for volume snapshots
# Each image carries the label io.lifeboat.inputs = hash of its build inputs; a
# build is skipped when the image exists with the same hash. The rootfs tarball
# is cached in <repo>/.cache/rootfs/.
# Usage: build-images.sh [--force] [base|postgres|sms-web|helper ...]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGES_DIR="$LIFEBOAT_ENV_DIR/images"
LABEL=io.lifeboat.inputs
export DOCKER_BUILDKIT=0
FORCE=0
WANT=()
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    base|postgres|sms-web|helper) WANT+=("$a") ;;
    *) die "unknown argument: $a" ;;
  esac
done
[ "${#WANT[@]}" -gt 0 ] || WANT=(postgres sms-web helper)
want() { local w; for w in "${WANT[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }

docker info >/dev/null 2>&1 || die "docker engine not running (run scripts/env/start-docker.sh)"

sha() { sha256sum | cut -c1-16; }

# Hash of files/dirs (names and content), stable across machines.
hash_paths() {
  local p
  for p in "$@"; do
    if [ -d "$p" ]; then
      (cd "$p" && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z |
        xargs -0 -r sha256sum)
    else
      sha256sum <"$p"
    fi
  done | sha
}

image_hash() { docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true; }

up_to_date() { # image hash
  [ "$FORCE" = 0 ] && [ "$(image_hash "$1")" = "$2" ]
}

# ---------------------------------------------------------------- base rootfs
PG_MAJOR=15
BASE_PACKAGES="postgresql-$PG_MAJOR,python3-alembic,python3-sqlalchemy,python3-psycopg2,ca-certificates,tzdata"
SOURCES_FILE=/etc/apt/sources.list.d/debian.sources
MIRROR_ARGS=()
if [ -f "$SOURCES_FILE" ] && grep -q bookworm "$SOURCES_FILE"; then
  MIRROR_ARGS=("$SOURCES_FILE")
fi
# mmdebstrap's options: docs, man pages, locales and the LLVM JIT (about 180 MB)
# are left out; the Python byte code compiled at install is kept (app start-up:
# 5 s -> <1 s); postgresql-common's default cluster is removed (the entrypoint
# makes its own). The hooks expand $1 (the chroot) themselves.
# shellcheck disable=SC2016
MMDEBSTRAP_ARGS=(--variant=apt --include="$BASE_PACKAGES"
  --dpkgopt=force-unsafe-io
  --skip=output/dev
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-include=/usr/share/locale/locale.alias'
  --dpkgopt='path-exclude=/usr/share/lintian/*'
  --dpkgopt="path-exclude=/usr/lib/postgresql/$PG_MAJOR/lib/bitcode/*"
  --dpkgopt="path-exclude=/usr/lib/postgresql/$PG_MAJOR/lib/llvmjit*"
  --customize-hook='rm -f "$1"/usr/lib/x86_64-linux-gnu/libLLVM-*.so* "$1"/usr/lib/x86_64-linux-gnu/libz3.so*'
  --customize-hook="rm -rf \"\$1\"/etc/postgresql/$PG_MAJOR \"\$1\"/var/lib/postgresql/$PG_MAJOR"
  --customize-hook='mkdir -p "$1"/var/lib/postgresql/data "$1"/run/postgresql'
  --customize-hook='chroot "$1" chown postgres:postgres /var/lib/postgresql /var/lib/postgresql/data /run/postgresql'
  --customize-hook='chmod 3777 "$1"/run/postgresql; chmod 700 "$1"/var/lib/postgresql/data'
  --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/*.log "$1"/var/cache/debconf/*-old'
  --customize-hook='rm -rf "$1"/usr/share/i18n/charmaps "$1"/usr/share/i18n/locales'
  bookworm)
# Everything that determines the rootfs content goes into its hash: the options,
# the suite, the mirrors (the machine's Debian sources when it has them).
ROOTFS_HASH="$( { echo v5; printf '%s\n' "${MMDEBSTRAP_ARGS[@]}";
  [ "${#MIRROR_ARGS[@]}" -gt 0 ] && cat "$SOURCES_FILE"; } | sha)"
ROOTFS_DIR="$CACHE_DIR/rootfs"
ROOTFS_TAR="$ROOTFS_DIR/base-$ROOTFS_HASH.tar"
BASE_IMAGE="lifeboat/base:bookworm"
BASE_HASH="$( { echo "$ROOTFS_HASH"; hash_paths "$IMAGES_DIR/base"; } | sha)"

build_rootfs() {
  if [ -s "$ROOTFS_TAR" ]; then
    log "rootfs: cached $ROOTFS_TAR"
    return
  fi
  command -v mmdebstrap >/dev/null || die "mmdebstrap not installed (run scripts/env/install-system.sh)"
  mkdir -p "$ROOTFS_DIR"
  log "rootfs: mmdebstrap bookworm with $BASE_PACKAGES (a few minutes: 2.5-4.5 min measured on 2 busy cores)"
  local t0=$SECONDS tmp="$ROOTFS_TAR.tmp.$$.tar"
  mmdebstrap "${MMDEBSTRAP_ARGS[@]}" "$tmp" "${MIRROR_ARGS[@]}" </dev/null 2> >(grep -v '^I: ' >&2 || true)
  mv "$tmp" "$ROOTFS_TAR"
  # Drop tarballs of older recipes.
  find "$ROOTFS_DIR" -maxdepth 1 -name 'base-*.tar' ! -name "base-$ROOTFS_HASH.tar" -delete
  log "rootfs: done in $((SECONDS - t0)) s ($(du -h "$ROOTFS_TAR" | cut -f1))"
}

# docker build with a private context dir; labels carry the input hash.
docker_build() { # tag hash context-dir [build-args...]
  local tag=$1 hash=$2 ctx=$3; shift 3
  # The legacy builder's deprecation banner is noise here: filter it out.
  { docker build --network none -q --label "$LABEL=$hash" "$@" -t "$tag" "$ctx" 2>&1 >/dev/null; } |
    { grep -v -e '^DEPRECATED: The legacy builder' -e 'BuildKit is currently disabled' \
        -e 'environment-variable\.$' -e '^[[:space:]]*$' >&2 || true; }
}

BASE_BUILT=0
build_base() {
  [ "$BASE_BUILT" = 1 ] && return
  BASE_BUILT=1
  if up_to_date "$BASE_IMAGE" "$BASE_HASH"; then
    log "image $BASE_IMAGE: up to date"
    return
  fi
  build_rootfs
  local t0=$SECONDS ctx="$CACHE_DIR/build/base"
  rm -rf "$ctx"; mkdir -p "$ctx"
  cp "$IMAGES_DIR/base/Dockerfile" "$ctx/"
  ln "$ROOTFS_TAR" "$ctx/rootfs.tar" 2>/dev/null || cp "$ROOTFS_TAR" "$ctx/rootfs.tar"
  log "image $BASE_IMAGE: building"
  docker_build "$BASE_IMAGE" "$BASE_HASH" "$ctx"
  rm -rf "$ctx"
  log "image $BASE_IMAGE: built in $((SECONDS - t0)) s"
}

build_derived() { # name tag context-source...
  local name=$1 tag=$2 hash
  shift 2
  hash="$( { echo "$BASE_HASH"; hash_paths "$@"; } | sha)"
  if up_to_date "$tag" "$hash"; then
    log "image $tag: up to date"
    return
  fi
  build_base
  local t0=$SECONDS ctx="$CACHE_DIR/build/$name" src
  rm -rf "$ctx"; mkdir -p "$ctx"
  for src in "$@"; do cp -a "$src" "$ctx/"; done
  find "$ctx" -name __pycache__ -type d -prune -exec rm -rf {} +
  log "image $tag: building"
  docker_build "$tag" "$hash" "$ctx" --build-arg "BASE=$BASE_IMAGE"
  rm -rf "$ctx"
  log "image $tag: built in $((SECONDS - t0)) s"
}

build_helper() {
  local tag=lifeboat/helper:latest debdir="$CACHE_DIR/debs" deb hash
  mkdir -p "$debdir"
  # shellcheck disable=SC2012
  deb="$(ls -1 "$debdir"/busybox-static_*.deb 2>/dev/null | tail -n1 || true)"
  if [ -z "$deb" ]; then
    log "helper: apt-get download busybox-static"
    if ! (cd "$debdir" && apt-get download -q -o APT::Sandbox::User=root busybox-static >&2); then
      log "helper: download failed; apt-get update and retry"
      as_root apt-get -o DPkg::Lock::Timeout=120 update -qq >&2
      (cd "$debdir" && apt-get download -q -o APT::Sandbox::User=root busybox-static >&2)
    fi
    # shellcheck disable=SC2012
    deb="$(ls -1 "$debdir"/busybox-static_*.deb | tail -n1)"
  fi
  hash="$( { echo "helper-v2"; sha256sum <"$deb"; } | sha)"
  if up_to_date "$tag" "$hash"; then
    log "image $tag: up to date"
    return
  fi
  local t0=$SECONDS root="$CACHE_DIR/build/helper"
  rm -rf "$root"; mkdir -p "$root/x" "$root/r"
  dpkg-deb -x "$deb" "$root/x"
  local r="$root/r"
  mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/usr/sbin" "$r/tmp" "$r/data" "$r/etc" "$r/root"
  chmod 1777 "$r/tmp"
  cp "$root/x/bin/busybox" "$r/bin/busybox"
  local applet
  while IFS= read -r applet; do
    [ -n "$applet" ] || continue
    [ "${applet##*/}" = busybox ] && continue
    [ -e "$r/$applet" ] || ln -s /bin/busybox "$r/$applet"
  done < <("$r/bin/busybox" --list-full)
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  log "image $tag: importing"
  tar -C "$r" --numeric-owner --owner=0 --group=0 -cf - . |
    docker import --change "LABEL $LABEL=$hash" --change 'CMD ["/bin/sh"]' \
      --change 'WORKDIR /' - "$tag" >/dev/null
  rm -rf "$root"
  log "image $tag: built in $((SECONDS - t0)) s"
}

T0=$SECONDS
if want base; then build_base; fi
if want postgres; then build_derived postgres lifeboat/postgres:15 "$IMAGES_DIR/postgres/Dockerfile" "$IMAGES_DIR/postgres/docker-entrypoint.sh"; fi
if want sms-web; then build_derived sms-web lifeboat/sms-web:latest "$IMAGES_DIR/sms-web/Dockerfile" "$IMAGES_DIR/sms-web/alembic" "$DEMO_DIR/backend"; fi
if want helper; then build_helper; fi
# Superseded builds of our images, unless a container still uses them.
docker image prune -f --filter "label=$LABEL" >/dev/null 2>&1 || true
log "images ready in $((SECONDS - T0)) s"
docker image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' 'lifeboat/*' >&2
