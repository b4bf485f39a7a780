package io.ssebroker.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The .deb the build made, as an operator uses it: installed with dpkg (files, owners and modes as
 * packaging/README.md says), the class-data archive its postinst makes (again when a Java package changes) and the
 * installed launcher starts on as the service user, the installed launcher's --version and check-config, the installed broker started as
 * the service user and answering /healthz, then purged without a trace. Runs where dpkg is and the tests run as
 * root, on a machine that does not have sse-broker installed already.
 */
class DebianPackageIT {
    private static final Path JAR = Path.of("/usr/share/sse-broker/sse-broker.jar");
    private static final Path LAUNCHER = Path.of("/usr/bin/sse-broker");
    private static final Path CONFIG = Path.of("/etc/sse-broker/config.toml");
    private static final Path UNIT = Path.of("/lib/systemd/system/sse-broker.service");
    /** Made by the postinst for the installed jar and runtime; the launcher looks there. */
    private static final Path CLASS_ARCHIVE = Path.of("/var/cache/sse-broker/sse-broker.jsa");
    /** The broker module's build directory, where the package phase put the .deb. */
    private static final Path BUILD = Path.of(System.getProperty("build.directory", "target"));

    private static Path builtPackage() throws IOException {
        try (var files = Files.list(BUILD)) {
            return files.filter(f -> f.getFileName().toString().matches("sse-broker_.+_all\\.deb")).findFirst()
                    .orElseThrow(() -> new AssertionError("no .deb in target/: the package phase makes it"));
        }
    }

    private static void assertOwnedAndMode(Path path, String owner, String group, String mode) throws IOException {
        PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class);
        assertThat(attributes.owner().getName()).as("owner of %s", path).isEqualTo(owner);
        assertThat(attributes.group().getName()).as("group of %s", path).isEqualTo(group);
        assertThat(PosixFilePermissions.toString(attributes.permissions())).as("mode of %s", path).isEqualTo(mode);
    }

    @Test
    void installsStartsAndPurges() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/dpkg")), "not a Debian system");
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "installing a package needs root");
        Assumptions.assumeFalse(ExternalCommand.run("dpkg", "-s", "sse-broker").exit() == 0, "sse-broker is installed on this machine");
        Path deb = builtPackage();
        try {
            ExternalCommand install = ExternalCommand.run("dpkg", "-i", deb.toString());
            assertThat(install.exit()).as(install.output()).isZero();

            assertOwnedAndMode(JAR, "root", "root", "rw-r--r--");
            assertOwnedAndMode(LAUNCHER, "root", "root", "rwxr-xr-x");
            assertOwnedAndMode(Path.of("/usr/share/sse-broker/make-class-archive"), "root", "root", "rwxr-xr-x");
            assertOwnedAndMode(CONFIG, "root", "sse-broker", "rw-r-----");
            assertOwnedAndMode(UNIT, "root", "root", "rw-r--r--");
            assertThat(Files.readString(UNIT)).contains("ExecStart=/usr/bin/sse-broker -c /etc/sse-broker/config.toml");
            assertThat(ExternalCommand.run("dpkg-query", "-W", "-f=${Conffiles}", "sse-broker").output()).contains(CONFIG.toString());
            assertThat(ExternalCommand.run("getent", "passwd", "sse-broker").output()).contains("/usr/sbin/nologin");
            assertOwnedAndMode(CLASS_ARCHIVE, "root", "root", "r--r--r--");
            // a Java package changed: the trigger on /usr/lib/jvm makes the archive again
            Files.delete(CLASS_ARCHIVE);
            assertThat(ExternalCommand.run("dpkg-trigger", "--no-await", "/usr/lib/jvm").exit()).isZero();
            ExternalCommand triggered = ExternalCommand.run("dpkg", "--triggers-only", "--pending");
            assertThat(triggered.exit()).as(triggered.output()).isZero();
            assertThat(CLASS_ARCHIVE).as(triggered.output()).isRegularFile();

            // as the service user: the archive must be readable by it
            ExternalCommand version = ExternalCommand.run("runuser", "-u", "sse-broker", "--", "env",
                    "JAVA_OPTS=-Xlog:class+load=info", LAUNCHER.toString(), "--version");
            assertThat(version.exit()).isZero();
            assertThat(version.output()).contains("io.ssebroker.cli.Main source: shared objects file (top)");
            assertThat(version.output().lines().filter(line -> !line.startsWith("[")))
                    .singleElement(InstanceOfAssertFactories.STRING).startsWith("sse-broker ");
            ExternalCommand check = ExternalCommand.run("runuser", "-u", "sse-broker", "--", LAUNCHER.toString(), "check-config", "-c", CONFIG.toString());
            assertThat(check.exit()).as(check.output()).isZero();

            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            Process broker = new ProcessBuilder("runuser", "-u", "sse-broker", "--", LAUNCHER.toString(), "-c",
                    CONFIG.toString(), "--host", "127.0.0.1", "--port", Integer.toString(port))
                    .redirectErrorStream(true).redirectOutput(BUILD.resolve("installed-broker.log").toFile()).start();
            try {
                HttpClient http = HttpClient.newHttpClient();
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
            } finally {
                broker.destroy();
                broker.waitFor(30, TimeUnit.SECONDS);
            }
        } finally {
            ExternalCommand purge = ExternalCommand.run("dpkg", "--purge", "sse-broker");
            assertThat(purge.exit()).as(purge.output()).isZero();
        }
        assertThat(JAR).doesNotExist();
        assertThat(LAUNCHER).doesNotExist();
        assertThat(CONFIG.getParent()).doesNotExist();
        assertThat(CLASS_ARCHIVE.getParent()).doesNotExist();
        assertThat(ExternalCommand.run("getent", "passwd", "sse-broker").exit()).isNotZero();
    }
}
