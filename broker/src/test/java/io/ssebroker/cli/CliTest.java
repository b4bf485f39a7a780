package io.ssebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.SignedJWT;
import io.ssebroker.config.ConfigException;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.http.HttpServer;
import io.ssebroker.testing.CommandRun;
import io.ssebroker.testing.TestNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as an operator uses it, run in-process: what it prints and the exit status. {@code serve} is left
 * out because it blocks until the process is signalled.
 */
class CliTest {
    private static final String SECRET = "cli-test-secret-of-at-least-32-bytes!!";
    private static final int CONFIG_ERROR = 2;

    @TempDir
    Path dir;

    private static CommandRun run(String... args) {
        return CommandRun.of(Main.commandLine(), args);
    }

    @Test
    void versionFlagsAndCommandPrintTheVersion() {
        String version = Version.number();
        assertThat(version).as("the build writes the version").matches("\\d+\\.\\d+\\.\\d+.*");
        for (String[] args : new String[][] {{"-v"}, {"--version"}, {"version"}}) {
            CommandRun run = run(args);
            assertThat(run.exit()).as("exit of %s", String.join(" ", args)).isZero();
            assertThat(run.out()).as("output of %s", String.join(" ", args)).startsWith("sse-broker " + version);
        }
    }

    @Test
    void helpListsTheCommands() {
        CommandRun run = run("--help");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("Usage").contains("serve").contains("token").contains("check-config")
                .contains("class-archive").contains("bench").contains("--config");
    }

    @Test
    void classArchiveNeedsAJarAndWritesWhereTheLauncherLooks() {
        CommandRun run = run("class-archive", dir.resolve("node.jsa").toString()); // the test's classes are no jar
        assertThat(run.exit()).isEqualTo(CONFIG_ERROR);
        assertThat(run.err()).contains("not running from sse-broker.jar");
        assertThat(dir.resolve("node.jsa")).doesNotExist();

        Path jar = Path.of("/opt/sse-broker/lib/sse-broker.jar");
        assertThat(ClassArchiveCommand.defaultArchive("/var/cache/sse-broker/sse-broker.jsa", jar))
                .isEqualTo(Path.of("/var/cache/sse-broker/sse-broker.jsa"));
        assertThat(ClassArchiveCommand.defaultArchive(null, jar)).isEqualTo(Path.of("/opt/sse-broker/lib/sse-broker.jsa"));
        assertThat(ClassArchiveCommand.defaultArchive("off", jar)).isEqualTo(Path.of("/opt/sse-broker/lib/sse-broker.jsa"));
        assertThat(ClassArchiveCommand.defaultArchive(null, Path.of("/usr/share/sse-broker/sse-broker.jar")))
                .as("the installed jar's, where the packages make it").isEqualTo(Path.of("/var/cache/sse-broker/sse-broker.jsa"));
    }

    @Test
    void theClassArchivesWorkloadRunsAgainstTheNodeOfThisBuild() {
        // what the build's package phase runs in the JVM that writes the archive: every exchange it checks must pass
        CommandRun run = run("class-archive", "--workload");
        assertThat(run.exit()).as(run.err()).isZero();
    }

    @Test
    void benchFindsTheLoadGeneratorBesideTheBrokersJarOrInTheBuildOrWhereTheVariableSays() throws IOException {
        Path installed = Files.createDirectories(dir.resolve("lib"));
        assertThat(BenchCommand.loadGenerator(null, Optional.of(installed))).isEmpty();
        Path beside = Files.writeString(installed.resolve("sse-broker-loadgen.jar"), "jar");
        assertThat(BenchCommand.loadGenerator(null, Optional.of(installed))).contains(beside);

        Path brokerTarget = Files.createDirectories(dir.resolve("checkout/broker/target"));
        Path built = Files.createDirectories(dir.resolve("checkout/loadgen/target")).resolve("sse-broker-loadgen.jar");
        Files.writeString(built, "jar");
        assertThat(BenchCommand.loadGenerator("", Optional.of(brokerTarget))).contains(built);

        assertThat(BenchCommand.loadGenerator(beside.toString(), Optional.of(brokerTarget))).contains(beside);
        assertThat(BenchCommand.loadGenerator(dir.resolve("missing.jar").toString(), Optional.of(brokerTarget)))
                .as("a variable that names nothing is not passed over for another jar").isEmpty();
        assertThat(BenchCommand.loadGenerator(null, Optional.empty())).isEmpty();
    }

    @Test
    void benchWithoutTheLoadGeneratorSaysWhereToGetIt() {
        assumeTrue(System.getenv(BenchCommand.JAR_VARIABLE) == null, "the load generator's jar is set for this run");
        CommandRun run = run("bench", "--help"); // the test's classes are no jar: nothing to look beside
        assertThat(run.exit()).isEqualTo(CONFIG_ERROR);
        assertThat(run.err()).contains("SSE_BROKER_LOADGEN_JAR").contains("loadgen/target/sse-broker-loadgen.jar");
    }

    @Test
    void everySubcommandTakesHelp() {
        for (String command : new String[] {"serve", "token", "check-config", "version", "class-archive"}) {
            for (String flag : new String[] {"--help", "-h"}) {
                CommandRun run = run(command, flag);
                assertThat(run.exit()).as("exit of %s %s: %s", command, flag, run.err()).isZero();
                assertThat(run.out()).as("output of %s %s", command, flag).contains("Usage").contains(command);
            }
        }
    }

    @Test
    void checkConfigPrintsEffectiveValuesAndMasksSecrets() throws IOException {
        Path file = write("""
                [server]
                port = 9123

                [jwt]
                secret = "%s"

                [auth]
                api_keys = ["publisher-key-0123456789"]
                """.formatted(SECRET));
        CommandRun run = run("check-config", "-c", file.toString());

        assertThat(run.exit()).as("stderr: %s", run.err()).isZero();
        assertThat(run.out())
                .contains("port = 9123")
                .contains("heartbeat_interval = 30")
                .contains("device_frame_cache_size = 100")
                .contains("secret = \"<set>\"")
                .doesNotContain(SECRET)
                .doesNotContain("publisher-key-0123456789");
    }

    @Test
    void checkConfigShowsAFlagOverride() throws IOException {
        Path file = write("[server]\nport = 9123\n");
        CommandRun run = run("check-config", "-c", file.toString(), "--port", "9124");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("port = 9124").doesNotContain("port = 9123");
    }

    @Test
    void optionsBeforeTheCommandNameApplyToIt() throws IOException {
        Path file = write("[server]\nport = 9125\n");
        CommandRun run = run("-c", file.toString(), "check-config");
        assertThat(run.exit()).as("stderr: %s", run.err()).isZero();
        assertThat(run.out()).contains("port = 9125");
        CommandRun after = run("-c", file.toString(), "check-config", "--port", "9126");
        assertThat(after.out()).as("an option after the name wins").contains("port = 9126");
    }

    @Test
    void checkConfigReadsTheKeyFilesAStartReads() throws IOException {
        Path file = write("""
                [jwt]
                public_key = "%s"
                """.formatted(dir.resolve("missing.pem")));
        CommandRun run = run("check-config", "-c", file.toString());
        assertThat(run.exit()).isEqualTo(CONFIG_ERROR);
        assertThat(run.err()).contains("jwt.public_key").contains("missing.pem");
        assertThat(run.out()).doesNotContain("configuration is valid");
    }

    @Test
    void checkConfigChecksTheLogFilesWithoutMakingThem() throws IOException {
        Path logs = dir.resolve("logs/sse-broker");
        Path file = write("""
                [server]
                access_log_path = "%s"
                """.formatted(logs.resolve("access.log")));
        CommandRun run = run("check-config", "-c", file.toString());
        assertThat(run.exit()).as("stderr: %s", run.err()).isZero();
        assertThat(logs.getParent()).as("made by the service when it starts, as its own user").doesNotExist();

        Files.writeString(dir.resolve("not-a-directory"), "");
        Path blocked = write("""
                [server]
                access_log_path = "%s"
                """.formatted(dir.resolve("not-a-directory/access.log")));
        CommandRun refused = run("check-config", "-c", blocked.toString());
        assertThat(refused.exit()).isEqualTo(CONFIG_ERROR);
        assertThat(refused.err()).contains("server.access_log_path");
    }

    @Test
    void checkConfigWithABadValueExitsWithTheKeyInStderr() throws IOException {
        Path file = write("""
                [sse]
                heartbeat_interval = "abc"
                """);
        CommandRun run = run("check-config", "-c", file.toString());
        assertThat(run.exit()).isEqualTo(CONFIG_ERROR);
        assertThat(run.err()).contains("sse.heartbeat_interval").contains("abc");
    }

    @Test
    void aNodeThatCannotListenNamesTheKeysAndTheReason() throws Exception {
        try (TestNode first = TestNode.start()) {
            Map<String, String> samePort = Map.of("server.host", "127.0.0.1", "server.port",
                    String.valueOf(first.port()), "jwt.secret", SECRET);
            BrokerNode second = new BrokerNode(new ConfigLoader(Map.of()).load(Optional.empty(), samePort).config());
            assertThatThrownBy(second::start).isInstanceOf(HttpServer.CannotListenException.class)
                    .hasMessageContaining("cannot listen on server.host/server.port = 127.0.0.1:" + first.port());
            BrokerNode nowhere = new BrokerNode(new ConfigLoader(Map.of()).load(Optional.empty(),
                    Map.of("server.host", "no-such-host.invalid", "server.port", "0", "jwt.secret", SECRET)).config());
            assertThatThrownBy(nowhere::start).as("no restart mends it").isInstanceOf(ConfigException.class)
                    .hasMessageContaining("server.host/server.port = no-such-host.invalid").hasMessageContaining("no such host");
            assertThat(first.api().get("/healthz", Map.of()).status()).isEqualTo(200);
        }
    }

    @Test
    void checkConfigWithInvalidTomlExitsWithTheFileInStderr() throws IOException {
        Path file = write("[server\nport = 1\n");
        CommandRun run = run("check-config", "-c", file.toString());
        assertThat(run.exit()).isEqualTo(CONFIG_ERROR);
        assertThat(run.err()).contains(file.toString());
    }

    @Test
    void checkConfigWithAMissingFileExitsWithThePathInStderr() {
        Path missing = dir.resolve("missing.toml");
        CommandRun run = run("check-config", "-c", missing.toString());
        assertThat(run.exit()).isEqualTo(CONFIG_ERROR);
        assertThat(run.err()).contains(missing.toString());
    }

    @Test
    void checkConfigWarnsAboutUnknownKeys() throws IOException {
        Path file = write("[sse]\nfoo = 1\n");
        CommandRun run = run("check-config", "-c", file.toString());
        assertThat(run.exit()).isZero();
        assertThat(run.err()).contains("sse.foo");
    }

    @Test
    void tokenPrintsAJwtForTheUidAndDevice() throws Exception {
        Path empty = write("");
        CommandRun run = run("token", "-c", empty.toString(), "--uid", "u1", "--device", "d1", "--secret", SECRET);

        assertThat(run.exit()).as("stderr: %s", run.err()).isZero();
        String token = run.out().strip();
        assertThat(token).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
        JsonNode payload = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
        assertThat(payload.path("uid").asText()).isEqualTo("u1");
        assertThat(payload.path("sub").asText()).isEqualTo("u1");
        assertThat(payload.path("device_name").asText()).isEqualTo("d1");
        assertThat(payload.path("exp").asLong()).isGreaterThan(System.currentTimeMillis() / 1000);
        assertThat(SignedJWT.parse(token).verify(new MACVerifier(SECRET))).as("signed with --secret").isTrue();
    }

    @Test
    void tokenTtlIsHonoured() throws Exception {
        Path empty = write("");
        CommandRun run = run("token", "-c", empty.toString(), "--uid", "u2", "--ttl", "120", "--secret", SECRET);
        assertThat(run.exit()).isZero();
        JsonNode payload = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(run.out().strip().split("\\.")[1]));
        assertThat(payload.path("exp").asLong() - payload.path("iat").asLong()).isEqualTo(120);
        assertThat(payload.has("device_name")).isFalse();
    }

    @Test
    void tokenLivesNoLongerThanTheNodesAccept() throws Exception {
        Path file = write("[jwt]\nmax_expire = 86400\nmax_lifetime = 600\n");
        CommandRun run = run("token", "-c", file.toString(), "--uid", "u2", "--ttl", "3600", "--secret", SECRET);
        assertThat(run.exit()).as("stderr: %s", run.err()).isZero();
        JsonNode payload = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(run.out().strip().split("\\.")[1]));
        assertThat(payload.path("exp").asLong() - payload.path("iat").asLong()).as("capped at jwt.max_lifetime")
                .isEqualTo(600);
    }

    @Test
    void tokenUsesTheSecretOfTheConfigFile() throws Exception {
        Path file = write("[jwt]\nsecret = \"%s\"\n".formatted(SECRET));
        CommandRun run = run("token", "-c", file.toString(), "--uid", "u3");
        assertThat(run.exit()).as("stderr: %s", run.err()).isZero();
        assertThat(SignedJWT.parse(run.out().strip()).verify(new MACVerifier(SECRET))).isTrue();
    }

    @Test
    void tokenWithoutAnySecretExitsWithAnError() throws IOException {
        // an explicit empty file keeps a config.toml in the working directory from supplying a secret
        Path empty = write("");
        CommandRun run = run("token", "-c", empty.toString(), "--uid", "u1", "--device", "d1");
        assertThat(run.exit()).isEqualTo(CONFIG_ERROR);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("jwt.secret");
    }

    @Test
    void tokenWithATooShortSecretExitsWithTheKey() throws IOException {
        Path empty = write("");
        CommandRun run = run("token", "-c", empty.toString(), "--uid", "u1", "--secret", "short");
        assertThat(run.exit()).isEqualTo(CONFIG_ERROR);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("jwt.secret").doesNotContain("\"short\"");
    }

    @Test
    void tokenWithoutUidIsAUsageError() throws IOException {
        Path empty = write("");
        CommandRun run = run("token", "-c", empty.toString(), "--secret", SECRET);
        assertThat(run.exit()).isNotZero();
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("--uid");
    }

    @Test
    void tokenRefusesWhatTheBrokerWouldRefuse() throws IOException {
        Path empty = write("");
        CommandRun comma = run("token", "-c", empty.toString(), "--uid", "a,b", "--secret", SECRET);
        assertThat(comma.exit()).isEqualTo(CONFIG_ERROR);
        assertThat(comma.out()).isEmpty();
        assertThat(comma.err()).contains("--uid: must not contain commas");

        Path bound = write("[jwt]\nrequire_device = true\n");
        CommandRun unbound = run("token", "-c", bound.toString(), "--uid", "u1", "--secret", SECRET);
        assertThat(unbound.exit()).isEqualTo(CONFIG_ERROR);
        assertThat(unbound.out()).isEmpty();
        assertThat(unbound.err()).contains("--device: required");
    }

    @Test
    void tokenSignsWhereTheKeyServerDoesNotAnswer() throws IOException {
        Path file = write("[jwt]\njwks_url = \"http://127.0.0.1:%d/jwks.json\"\n".formatted(closedPort()));
        CommandRun run = run("token", "-c", file.toString(), "--uid", "u1", "--secret", SECRET);
        assertThat(run.exit()).as("stderr: %s", run.err()).isZero();
    }

    /** A key server that does not answer may come up later: a start that fails for it is tried again by systemd. */
    @Test
    void aKeyServerThatDoesNotAnswerFailsTheStartButIsNoConfigurationError() throws IOException {
        Path file = write("[jwt]\njwks_url = \"http://user:hidden-password@127.0.0.1:%d/jwks.json?key=hidden-key\"\n"
                .formatted(closedPort()));
        CommandRun run = run("check-config", "-c", file.toString()); // reads the keys as a start does
        assertThat(run.exit()).as("stderr: %s", run.err()).isEqualTo(1);
        assertThat(run.err()).contains("jwt.jwks_url: cannot load http://127.0.0.1:")
                .doesNotContain("hidden-password").doesNotContain("hidden-key");
    }

    @Test
    void checkConfigShowsAddressesWithoutTheirCredentials() throws IOException {
        Path file = write("""
                [callback]
                url = "https://hook:hidden-password@example.com/hook?token=hidden-token"
                device_offline = "https://example.com/offline?token=hidden-token"
                """);
        CommandRun run = run("check-config", "-c", file.toString());
        assertThat(run.exit()).as("stderr: %s", run.err()).isZero();
        assertThat(run.out()).contains("url = \"https://example.com/hook\"")
                .contains("device_offline = \"https://example.com/offline\"")
                .doesNotContain("hidden-password").doesNotContain("hidden-token");
    }

    @Test
    void everySubcommandPrintsTheVersion() {
        for (String command : new String[] {"serve", "token", "check-config", "version", "class-archive"}) {
            for (String flag : new String[] {"-V", "--version"}) {
                CommandRun run = run(command, flag);
                assertThat(run.exit()).as("exit of %s %s", command, flag).isZero();
                assertThat(run.out()).as("output of %s %s", command, flag).startsWith("sse-broker " + Version.number());
            }
        }
    }

    @Test
    void theNodesAddressPutsAnIpv6HostInBrackets() {
        assertThat(BrokerNode.advertisedHost("::1")).isEqualTo("[::1]");
        assertThat(BrokerNode.advertisedHost("2001:db8::5")).isEqualTo("[2001:db8::5]");
        assertThat(BrokerNode.advertisedHost("10.0.0.5")).isEqualTo("10.0.0.5");
        assertThat(BrokerNode.advertisedHost("broker.example.com")).isEqualTo("broker.example.com");
        assertThat(BrokerNode.advertisedHost("0.0.0.0")).isEqualTo("127.0.0.1");
    }

    /** A loopback port nothing listens on. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private Path write(String toml) throws IOException {
        Path file = Files.createTempFile(dir, "config", ".toml");
        Files.writeString(file, toml);
        return file;
    }
}
