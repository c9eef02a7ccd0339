# capacityd: built with the Swift toolchain, run on a slim Debian with only the libraries the binary links.
#   docker build --build-arg COMMIT="$(git rev-parse --short HEAD)" -t capacityd .
# Configuration comes only from the environment (CAPACITYD_*, docs/configuration.md and config/*.env).
# The bases are arguments so that a build that reaches no registry can name local images (scripts/image does).
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl-dev zlib1g-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# SwiftPM checks the directory of every target Package.swift declares, tests and fuzz checks too.
COPY Package.swift ./
COPY Sources Sources
COPY Tests Tests
COPY Fuzz Fuzz
# The commit `capacityd version` prints.
ARG COMMIT=""
# The Swift runtime is linked statically: the runtime stage needs no Swift toolchain. Symbols stay in the binary,
# for the Swift runtime's crash backtraces.
RUN CAPACITYD_COMMIT="$COMMIT" swift build -c release --static-swift-stdlib --product capacityd \
    && install -D "$(swift build -c release --show-bin-path)/capacityd" /out/capacityd

FROM ${RUNTIME_IMAGE}
# libssl3 and zlib1g are what the binary links beyond libc6, libgcc-s1 and libstdc++6 (scripts/image checks ldd);
# libpq5 is loaded only with --database-url; ca-certificates verifies ACME CAs and databases with public
# certificates. Debian's security updates keep them current, so they are not pinned. No shell tool is added: the
# health check is capacityd's own.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl3 zlib1g libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
    && useradd --uid 10001 --user-group --no-create-home --home-dir /var/lib/capacityd --shell /usr/sbin/nologin capacityd \
    && install -d -o capacityd -g capacityd -m 0750 /var/lib/capacityd
COPY --from=build /out/capacityd /usr/local/bin/capacityd
# Database CAs the builder put in config/database-ca (for RDS: rds-global-bundle.pem, see its README).
COPY config/database-ca/ /usr/local/share/capacityd/database-ca/
ENV CAPACITYD_HTTP=0.0.0.0:8080 \
    CAPACITYD_STATE_DIR=/var/lib/capacityd/state \
    CAPACITYD_LOG_DIR=/var/lib/capacityd/log
USER 10001:10001
WORKDIR /var/lib/capacityd
VOLUME ["/var/lib/capacityd"]
EXPOSE 8080 8443
# Asks /healthz on the listener the environment configures (CAPACITYD_METRICS_LISTEN, else CAPACITYD_HTTP).
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/capacityd", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/capacityd"]
CMD ["serve"]
