package io.ssebroker.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.encoder.Encoder;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigException;
import io.ssebroker.http.RequestLogHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Points Logback where the configuration says, once at start: the main log to the console or to
 * {@code server.broker_log_path}; WARN and above also to {@code server.error_log_path}; the access log to
 * {@code server.access_log_path} (off without it); each as text or as one JSON object per line
 * ({@code log.format}). Files are appended to and never rotated here: rotate them with logrotate's copytruncate.
 */
final class LogSetup {
    static final String MAIN_PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{0} - %msg%n";
    private static final String ACCESS_PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %msg%n";

    private LogSetup() {
    }

    /** Fails with a {@link ConfigException} naming the key when a log file cannot be written. */
    static void apply(BrokerConfig.Log settings) {
        checkPaths(settings);
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(settings.level()));
        if (settings.json() || !settings.brokerLogPath().isEmpty()) {
            root.detachAndStopAllAppenders();
            Encoder<ILoggingEvent> encoder = encoder(context, settings.json(), MAIN_PATTERN);
            root.addAppender(settings.brokerLogPath().isEmpty() ? console(context, encoder)
                    : file(context, "main", settings.brokerLogPath(), encoder));
        }
        if (!settings.errorLogPath().isEmpty()) {
            FileAppender<ILoggingEvent> errors = new FileAppender<>();
            ThresholdFilter warnAndAbove = new ThresholdFilter();
            warnAndAbove.setLevel(Level.WARN.levelStr);
            warnAndAbove.start();
            errors.addFilter(warnAndAbove);
            root.addAppender(start(errors, context, "errors", settings.errorLogPath(),
                    encoder(context, settings.json(), MAIN_PATTERN)));
        }
        Logger access = context.getLogger(RequestLogHandler.ACCESS_LOGGER);
        access.detachAndStopAllAppenders();
        access.setAdditive(false);
        if (settings.accessLogPath().isEmpty()) {
            access.setLevel(Level.OFF);
        } else {
            access.setLevel(Level.INFO);
            access.addAppender(file(context, "access", settings.accessLogPath(),
                    encoder(context, settings.json(), ACCESS_PATTERN)));
        }
    }

    static Encoder<ILoggingEvent> encoder(LoggerContext context, boolean json, String pattern) {
        if (json) {
            JsonEncoder encoder = new JsonEncoder();
            encoder.setContext(context);
            encoder.setWithFormattedMessage(true);
            encoder.setWithMessage(false);
            encoder.setWithArguments(false);
            encoder.setWithContext(false);
            encoder.setWithSequenceNumber(false);
            encoder.setWithNanoseconds(false);
            encoder.start();
            return encoder;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(pattern);
        encoder.start();
        return encoder;
    }

    static Appender<ILoggingEvent> console(LoggerContext context, Encoder<ILoggingEvent> encoder) {
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("console");
        console.setEncoder(encoder);
        console.start();
        return console;
    }

    private static Appender<ILoggingEvent> file(LoggerContext context, String name, String path,
                                                Encoder<ILoggingEvent> encoder) {
        return start(new FileAppender<>(), context, name, path, encoder);
    }

    private static Appender<ILoggingEvent> start(FileAppender<ILoggingEvent> appender, LoggerContext context,
                                                 String name, String path, Encoder<ILoggingEvent> encoder) {
        appender.setContext(context);
        appender.setName(name);
        appender.setFile(path);
        appender.setAppend(true);
        appender.setEncoder(encoder);
        appender.start();
        return appender;
    }

    /**
     * Logback only reports a file it cannot open to its status log; a node must not run blind, so check first: fails
     * with a {@link ConfigException} naming the key when a log file cannot be written (made, with its directories,
     * as the node's logger would).
     */
    static void checkPaths(BrokerConfig.Log settings) {
        files(settings).forEach(LogSetup::checkWritable);
    }

    /**
     * The same check making nothing ({@code check-config}, maybe run by another user than the service's): the file
     * writable where it exists, else the nearest directory above it that exists.
     */
    static void checkPathsWithoutWriting(BrokerConfig.Log settings) {
        files(settings).forEach(LogSetup::checkWritableWithoutWriting);
    }

    /** The log files' paths by their keys, in the order the checks report them. */
    private static Map<String, String> files(BrokerConfig.Log settings) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("server.broker_log_path", settings.brokerLogPath());
        files.put("server.error_log_path", settings.errorLogPath());
        files.put("server.access_log_path", settings.accessLogPath());
        return files;
    }

    private static void checkWritableWithoutWriting(String key, String path) {
        if (path.isEmpty()) {
            return;
        }
        Path file = Path.of(path).toAbsolutePath();
        Path existing = file;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        boolean writable = existing != null && Files.isWritable(existing)
                && (existing.equals(file) ? Files.isRegularFile(file) : Files.isDirectory(existing));
        if (!writable) {
            throw new ConfigException("config error: " + key + " = " + path + ": cannot write the log file ("
                    + (existing == null ? "no directory above it" : existing + " is not writable") + ")");
        }
    }

    private static void checkWritable(String key, String path) {
        if (path.isEmpty()) {
            return;
        }
        try {
            Path file = Path.of(path).toAbsolutePath();
            Files.createDirectories(file.getParent());
            try (OutputStream probe = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                probe.flush();
            }
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("config error: " + key + " = " + path + ": cannot write the log file: " + e);
        }
    }
}
