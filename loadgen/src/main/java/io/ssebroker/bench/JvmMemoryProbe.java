package io.ssebroker.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Live memory of a JVM server through jcmd (nothing is added to the server for it): a full GC ({@code GC.run}),
 * then the used heap ({@code GC.heap_info}) and, when the server runs with
 * {@code -XX:NativeMemoryTracking=summary}, the committed native memory of NMT's "Other" category, which is where
 * direct buffers (Netty's included) are allocated.
 */
final class JvmMemoryProbe {
    /** A heap space line: G1 has one ("garbage-first heap"), the other collectors one per generation. */
    /**
     * A heap space's use: "total 1048576K, used 23456K" (Java 17 G1, Parallel, Serial), "total reserved 262144K,
     * committed 262144K, used 27854K" (Java 21+ G1), "ZHeap used 24M, capacity..." (ZGC).
     */
    private static final Pattern SPACE_USED = Pattern.compile(
            "(?:total \\d+K|total reserved \\d+K, committed \\d+K|ZHeap) *,? *used (\\d+)([KMG])");
    private static final Pattern OTHER = Pattern.compile("Other \\(reserved=\\d+KB, committed=(\\d+)KB\\)");
    private static final long TIMEOUT_SECONDS = 60;

    record Sample(long heapUsedKiB, Long directKiB) {
    }

    private final long pid;
    private final Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");

    JvmMemoryProbe(long pid) {
        this.pid = pid;
    }

    /** A probe when the process is a JVM that jcmd can reach. */
    static Optional<JvmMemoryProbe> attachTo(long pid) {
        try {
            String command = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"));
            if (!command.split("\0")[0].endsWith("java")) {
                return Optional.empty();
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.of(new JvmMemoryProbe(pid));
    }

    Sample sample() {
        run("GC.run");
        long heap = heapUsedKiB(run("GC.heap_info"));
        return new Sample(heap, otherCommittedKiB(run("VM.native_memory", "summary")));
    }

    static long heapUsedKiB(String heapInfo) {
        long used = 0;
        boolean found = false;
        for (String line : heapInfo.split("\n")) {
            Matcher matcher = SPACE_USED.matcher(line);
            if (!line.contains("Metaspace") && !line.contains("class space") && matcher.find()) {
                long amount = Long.parseLong(matcher.group(1));
                used += switch (matcher.group(2)) {
                    case "G" -> amount * 1024 * 1024;
                    case "M" -> amount * 1024;
                    default -> amount;
                };
                found = true;
            }
        }
        if (!found) {
            throw new IllegalStateException("no heap usage in GC.heap_info output: " + heapInfo);
        }
        return used;
    }

    /** Null when native memory tracking is off. */
    static Long otherCommittedKiB(String nmtSummary) {
        Matcher matcher = OTHER.matcher(nmtSummary);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : null;
    }

    private String run(String... command) {
        List<String> line = new ArrayList<>(List.of(jcmd.toString(), Long.toString(pid)));
        line.addAll(List.of(command));
        try {
            Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("jcmd " + String.join(" ", command) + " did not finish");
            }
            return new String(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run jcmd: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running jcmd", e);
        }
    }
}
