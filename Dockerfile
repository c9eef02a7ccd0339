# syntax=docker/dockerfile:1
# capacityd: build with the Swift toolchain, run on a slim Debian with only the libraries the binary links.
#   docker build -t capacityd:$(git rev-parse --short HEAD) -t capacityd:latest .
# Configuration comes only from the environment (CAPACITYD_*, see the README and config/*.env).

FROM swift:6.3-bookworm AS build
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl-dev zlib1g-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
RUN swift package resolve
COPY Sources Sources
# The Swift runtime is linked statically: the runtime stage needs no Swift toolchain.
RUN swift build -c release --static-swift-stdlib --product capacityd \
    && install -D "$(swift build -c release --show-bin-path)/capacityd" /out/capacityd

FROM debian:bookworm-slim
# libssl3 and zlib1g are what the binary links beyond the base image's libc6, libgcc-s1 and libstdc++6 (a test
# checks this list against ldd); libpq5 (with Kerberos and LDAP) is loaded only when --database-url is given. curl is for the HEALTHCHECK: the slim image has no HTTP client. Debian's security
# updates keep the versions current, so they are not pinned.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl3 zlib1g libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/capacityd --shell /usr/sbin/nologin capacityd \
    && install -d -o capacityd -g capacityd -m 0750 /var/lib/capacityd
COPY --from=build /out/capacityd /usr/local/bin/capacityd
# AWS's RDS certificate authorities, so that sslmode=verify-full works against RDS (config/cloudformation). ADD
# from a URL makes the file 0600: the non-root user must read it.
ADD --chmod=0644 https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem /usr/local/share/capacityd/rds-global-bundle.pem
ENV CAPACITYD_HTTP=0.0.0.0:8080 \
    CAPACITYD_STATE_DIR=/var/lib/capacityd/state \
    CAPACITYD_LOG_DIR=/var/lib/capacityd/log
USER 10001:10001
WORKDIR /var/lib/capacityd
VOLUME ["/var/lib/capacityd"]
EXPOSE 8080 8443
# Liveness through the plain-HTTP listener on 8080; a deployment that moves it overrides the check.
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/capacityd"]
CMD ["serve"]
