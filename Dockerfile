# syntax=docker/dockerfile:1
#
# The relais service image. It needs an external PostgreSQL (DATABASE_URL): the embedded mode of
# `relais serve` is for development machines and is not available here.
#
#   docker build -t relais .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=postgres://… -e RELAIS_NIR_KEY=… \
#       -e RELAIS_AUTH_JWKS_URL=https://idp.example/jwks.json -e RELAIS_AUTH_ISSUER=… relais
#
# See docker-compose.yml for a development setup with PostgreSQL.

FROM rust:1-bookworm AS builder
WORKDIR /src
# The store's queries are checked against the committed .sqlx/ data: no database at build time.
ENV SQLX_OFFLINE=true
COPY . .
# The caches speed up rebuilds; the binary is copied out of the target cache.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p relais-server \
    && install -m 0755 target/release/relais /usr/local/bin/relais

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 relais \
    && useradd --system --uid 10001 --gid relais --home-dir /var/lib/relais --create-home \
        --shell /usr/sbin/nologin relais
COPY --from=builder /usr/local/bin/relais /usr/local/bin/relais
ENV RELAIS_LISTEN=0.0.0.0:8080 \
    RELAIS_DATA_DIR=/var/lib/relais \
    RELAIS_LOG_FORMAT=json
USER relais:relais
WORKDIR /var/lib/relais
EXPOSE 8080
# SIGTERM stops the server gracefully (in-flight requests finish, up to 10 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["relais"]
CMD ["serve"]
