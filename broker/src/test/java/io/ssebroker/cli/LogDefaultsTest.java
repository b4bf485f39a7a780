package io.ssebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** The console logging a node starts with, and the Logback file a user supplies taking its place. */
class LogDefaultsTest {
    @Test
    void theDefaultsLogToTheConsoleAtInfoWithNettyFromWarn() {
        LoggerContext context = new LoggerContext();
        LogDefaults.apply(context);

        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.INFO);
        assertThat(context.getLogger("io.netty").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("io.ssebroker.cli.Main").getEffectiveLevel()).isEqualTo(Level.INFO);
        ConsoleAppender<?> console = (ConsoleAppender<?>) root.getAppender("console");
        assertThat(console.isStarted()).isTrue();
        assertThat(((PatternLayoutEncoder) console.getEncoder()).getPattern()).isEqualTo(LogSetup.MAIN_PATTERN);
    }

    /** The tests' own logback-test.xml is on the class path here: it is a Logback file the user supplied. */
    @Test
    void aLogbackFileOnTheClassPathIsLeftToLogback() {
        LoggerContext context = new LoggerContext();
        LogDefaults defaults = new LogDefaults();
        defaults.setContext(context);

        assertThat(defaults.configure(context)).isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext()).isFalse();
    }
}
