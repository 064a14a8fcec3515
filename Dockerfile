# Multi-stage build of BAA Tracker. Everything comes from the Rust and Debian registries:
# no tool downloads a binary from a website.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY scripts/versions.env scripts/versions.env
COPY tools/package.json tools/package-lock.json tools/
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm brotli && rm -rf /var/lib/apt/lists/* \
 && (cd tools && npm ci --no-audit --no-fund) \
 && . scripts/versions.env \
 && rustup target add "$RUST_WASM_TARGET" \
 && cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
COPY . .
RUN scripts/build-site.sh && cargo build --release -p server

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /app baa \
 && mkdir -p /data /app && chown baa /data
COPY --from=build /src/target/release/baa-tracker /usr/local/bin/baa-tracker
COPY --from=build /src/target/site /app/site
ENV DATA_DIR=/data BIND_ADDR=0.0.0.0:8080 SITE_ROOT=/app/site LOG_FORMAT=json
EXPOSE 8080
VOLUME ["/data"]
# Fly volumes mount root-owned: hand /data to the app user, then drop root for good.
CMD ["sh", "-c", "chown -R baa /data && exec setpriv --reuid=baa --regid=baa --init-groups baa-tracker serve"]
