# syntax=docker/dockerfile:1
# rollcall in a container (README, "Install"):
#
#   docker build -t rollcall .
#   docker run -d --name rollcall -p 8080:8080 -v rollcall-data:/data --stop-timeout 40 \
#     -e ROLLCALL_BOOTSTRAP_CLIENT_ID=admin -e ROLLCALL_BOOTSTRAP_CLIENT_SECRET=... rollcall
#
# The SQLite database lives on the /data volume; the server runs as the unprivileged user
# rollcall (uid 10001). Set ROLLCALL_DATABASE_URL for PostgreSQL instead.

# The same toolchain as the workspace's rust-version, on the runtime's Debian release (glibc).
FROM rust:1.88-slim-bookworm AS build
WORKDIR /src
COPY . .
# Cache mounts keep the crates and the build between image builds; the binary is copied out of
# the cached target directory in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin rollcall \
    && install -m 0755 target/release/rollcall /usr/local/bin/rollcall

FROM debian:bookworm-slim
# curl for the health check only (no CA bundle: it asks the server inside the container).
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 rollcall \
    && useradd --system --uid 10001 --gid rollcall --home-dir /data --shell /usr/sbin/nologin rollcall \
    && install -d -m 0700 -o rollcall -g rollcall /data
COPY --from=build /usr/local/bin/rollcall /usr/local/bin/rollcall
COPY --chmod=0644 LICENSE README.md /usr/share/doc/rollcall/
USER 10001:10001
ENV ROLLCALL_LISTEN=0.0.0.0:8080 \
    ROLLCALL_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
# Ready means the database answers too; the port follows ROLLCALL_LISTEN if it is changed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${ROLLCALL_LISTEN##*:}/health/ready" || exit 1
ENTRYPOINT ["rollcall"]
CMD ["serve"]
