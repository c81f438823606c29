# syntax=docker/dockerfile:1
# The PAO service (`pao serve`, the REST API) as a container image: README.md, "Run the service".
#
#   docker build -t pao .
#   docker compose up          # compose.yaml: the state repository as a volume
#
# Two stages: `build` compiles pao in the dist profile (stripped, fat LTO); the runtime stage is
# Debian slim with the binary, CA certificates (HTTPS to GitHub and webhooks) and a user that is
# not root. libgit2 is linked statically (with the base image's zlib), so no git is installed.
# scripts/docker-host-build.sh runs the same build steps on a host without a container engine
# and checks the layout.

ARG RUST_IMAGE=rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
WORKDIR /src
# The manifests and sources only: target/, catalog/, docs/ are not needed to build.
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY crates ./crates
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --profile dist -p pao_cli --bin pao \
    && install -D -m 0755 target/dist/pao /out/pao \
    && /out/pao --version

FROM ${RUNTIME_IMAGE} AS runtime
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 pao \
    && useradd --system --uid 10001 --gid pao --home-dir /var/lib/pao --shell /usr/sbin/nologin pao \
    && install -d -o pao -g pao -m 0750 /var/lib/pao /var/lib/pao/state /var/lib/pao/catalog
COPY --from=build /out/pao /usr/local/bin/pao
USER 10001:10001
WORKDIR /var/lib/pao
# The state repository (requests as pull requests, the audit log) must outlive the container.
VOLUME ["/var/lib/pao/state"]
EXPOSE 8080
# bash's /dev/tcp: no HTTP client in the image just for the health check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /api/v1/health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["pao"]
CMD ["serve", "--addr", "0.0.0.0:8080", "--state-repo", "/var/lib/pao/state", "--catalog-repo", "/var/lib/pao/catalog"]
