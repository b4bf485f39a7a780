# syntax=docker/dockerfile:1
# sse-broker container image.
#   docker build -t sse-broker .
#   docker run -p 8080:8080 -e SSE_BROKER_JWT_SECRET=... -e SSE_BROKER_AUTH_API_KEYS=... sse-broker
# Inside a container every client is remote, so the publisher API (/token, /send, /kick, /info) needs
# auth.api_keys; without keys it answers 403 to everything but the container's own loopback.

# ---- build: the executable jar ----------------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
# The broker's module and the parent; of the other modules Maven reads only the poms (it builds -pl broker).
COPY pom.xml .
COPY loadgen/pom.xml loadgen/
COPY java-client/pom.xml java-client/
COPY spring-boot-starter/pom.xml spring-boot-starter/
COPY broker ./broker
COPY client ./client
# The package phase also makes the .deb and the .zip/.tar.gz, from these.
COPY bin ./bin
COPY packaging ./packaging
COPY docs ./docs
COPY README.md config.example.toml ./
# (the class-data archive is made in the runtime stage, for the runtime that runs it)
RUN mvn -B -q package -DskipTests -Dclass-archive.skip -pl broker

# ---- runtime: a JRE, the jar, the configuration, an unprivileged user ----------------------------------
FROM eclipse-temurin:17-jre
# curl serves the health check only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system sse-broker \
 && useradd --system --gid sse-broker --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin sse-broker
COPY --from=build /build/broker/target/sse-broker.jar /usr/share/sse-broker/sse-broker.jar
COPY --chmod=0755 bin/sse-broker /usr/bin/sse-broker
# The class-data archive for this image's runtime and jar, where the launcher looks for the installed jar's (a faster
# start; README.md, "class-archive"). Made with a heap of 1 GB, not 75% of the building machine's memory: a heap
# under 32 GB, as a container's limit of up to about 42 GB gives, encodes pointers as it does (a node with a larger
# heap, or ZGC, starts without it). An image without it still runs, a little slower to start.
RUN install -d -m 0755 /var/cache/sse-broker \
 && (JAVA_OPTS=-Xmx1g /usr/bin/sse-broker class-archive || echo "no class-data archive: the broker starts without it" >&2)
# Readable by the service user only: the file may hold jwt.secret and API keys.
COPY --chown=root:sse-broker --chmod=0640 config.example.toml /etc/sse-broker/config.toml
USER sse-broker
EXPOSE 8080
# /healthz is answered by the event loops: three misses in a row mark the container unhealthy. The second
# try covers a node configured for TLS (http.tls_cert), whose certificate names the public host, not 127.0.0.1.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${SSE_BROKER_SERVER_PORT:-8080}/healthz" >/dev/null \
   || curl -fsSk "https://127.0.0.1:${SSE_BROKER_SERVER_PORT:-8080}/healthz" >/dev/null || exit 1
# The launcher sizes the heap from the container's memory limit (MaxRAMPercentage) and adds JAVA_OPTS.
# Exec form, and the launcher execs java: java is PID 1 and gets docker stop's SIGTERM, so clients are told
# sys_instance_close.
ENTRYPOINT ["/usr/bin/sse-broker"]
CMD ["-c", "/etc/sse-broker/config.toml"]
# docker stop waits 10 s by default, as long as server.shutdown_timeout: give it more, e.g. docker stop -t 20.
STOPSIGNAL SIGTERM
