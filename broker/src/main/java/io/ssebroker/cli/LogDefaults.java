package io.ssebroker.cli;

import ch.qos.logback.classic.ClassicConstants;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * Logback's configuration before the node's own settings apply ({@link LogSetup}): the main log to the console at
 * INFO, Netty's own logging from WARN. Set in code rather than read from a {@code logback.xml}: parsing XML at start
 * loads the JDK's XML parser and Logback's configuration model, some 500 classes and several MB of an idle node's
 * resident memory. A Logback file the user supplies ({@code -Dlogback.configurationFile}, or a {@code logback.xml} or
 * {@code logback-test.xml} on the class path) is read instead, as Logback would read it.
 * Found by Logback through {@code META-INF/services}, on the thread that logs first.
 */
public final class LogDefaults extends ContextAwareBase implements Configurator {
    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (userConfiguration()) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        apply(context);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    static void apply(LoggerContext context) {
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(LogSetup.console(context, LogSetup.encoder(context, false, LogSetup.MAIN_PATTERN)));
        context.getLogger("io.netty").setLevel(Level.WARN);
    }

    private static boolean userConfiguration() {
        ClassLoader loader = LogDefaults.class.getClassLoader();
        return System.getProperty(ClassicConstants.CONFIG_FILE_PROPERTY) != null
                || loader.getResource(ClassicConstants.TEST_AUTOCONFIG_FILE) != null
                || loader.getResource(ClassicConstants.AUTOCONFIG_FILE) != null;
    }
}
