# capacityd image, first version (issue 4 finishes it: environment configuration, health check, hadolint).
# The Swift standard library is linked statically, so the runtime stage needs only Debian's base libraries.
FROM swift:6.3-bookworm AS build
WORKDIR /src
COPY Package.swift ./
RUN swift package resolve
COPY Sources Sources
RUN swift build -c release --static-swift-stdlib --product capacityd \
    && install -D "$(swift build -c release --show-bin-path)/capacityd" /out/capacityd

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/capacityd --shell /usr/sbin/nologin capacityd \
    && install -d -o capacityd -g capacityd -m 0750 /var/lib/capacityd
COPY --from=build /out/capacityd /usr/local/bin/capacityd
USER capacityd
VOLUME ["/var/lib/capacityd"]
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/capacityd", "serve"]
CMD ["--http", "0.0.0.0:8080", "--state-dir", "/var/lib/capacityd"]
