package io.ssebroker.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** The build's version and time, from the properties Maven writes at build time. */
public final class Version implements CommandLine.IVersionProvider {
    private static final Properties BUILD = load();

    public static String number() {
        return BUILD.getProperty("version", "unknown");
    }

    public static String buildTime() {
        return BUILD.getProperty("build.time", "unknown");
    }

    @Override
    public String[] getVersion() {
        return new String[] {"sse-broker " + number() + " (built " + buildTime() + ", Java " + Runtime.version() + ")"};
    }

    private static Properties load() {
        Properties properties = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("/io/ssebroker/version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            // version stays unknown
        }
        return properties;
    }
}
