package io.ssebroker.bench;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** A line on stderr every second while a run goes on: its phase, elapsed time and live figures. */
final class Progress implements AutoCloseable {
    private final String label;
    private final Supplier<String> figures;
    private final PrintWriter out;
    private final long startNanos = System.nanoTime();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "bench-progress");
        thread.setDaemon(true);
        return thread;
    });
    private volatile String phase = "starting";

    Progress(String label, Supplier<String> figures, PrintWriter out) {
        this.label = label;
        this.figures = figures;
        this.out = out;
        timer.scheduleAtFixedRate(this::print, 1, 1, TimeUnit.SECONDS);
    }

    void phase(String name) {
        phase = name;
        out.printf("[%s] %s%n", label, name);
        out.flush();
    }

    private void print() {
        out.printf(Locale.ROOT, "[%s] %5.1fs %-10s %s%n", label, (System.nanoTime() - startNanos) / 1e9, phase, figures.get());
        out.flush();
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
