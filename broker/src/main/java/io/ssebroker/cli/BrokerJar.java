package io.ssebroker.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Optional;

/** Where the broker's own jar is, for the commands that start a Java process on it or look beside it. */
final class BrokerJar {
    private BrokerJar() {
    }

    /** The jar this code was loaded from; empty when it runs from classes in a folder (a test run). */
    static Optional<Path> path() {
        CodeSource source = BrokerJar.class.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            return Optional.empty();
        }
        try {
            Path location = Path.of(source.getLocation().toURI());
            return Files.isRegularFile(location) ? Optional.of(location) : Optional.empty();
        } catch (URISyntaxException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
