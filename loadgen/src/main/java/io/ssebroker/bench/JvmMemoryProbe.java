package io.ssebroker.bench;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Live memory of a JVM server through jcmd (nothing is added to the server for it): a full GC ({@code GC.run}),
 * then the used heap ({@code GC.heap_info}) and, when the server runs with
 * {@code -XX:NativeMemoryTracking=summary}, the committed native memory of NMT's "Other" category, which is where
 * direct buffers (Netty's included) are allocated.
 */
final class JvmMemoryProbe {
    /**
     * A heap space's use: "total 1048576K, used 23456K" (Java 17 G1, Parallel, Serial), "total reserved 262144K,
     * committed 262144K, used 27854K" (Java 21+ G1), "ZHeap used 24M, capacity..." (ZGC).
     */
    private static final Pattern SPACE_USED = Pattern.compile(
            "(?:total \\d+K|total reserved \\d+K, committed \\d+K|ZHeap) *,? *used (\\d+)([KMG])");
    private static final Pattern OTHER = Pattern.compile("Other \\(reserved=\\d+KB, committed=(\\d+)KB\\)");

    record Sample(long heapUsedKiB, Long directKiB) {
    }

    private final Jcmd jcmd;

    JvmMemoryProbe(Jcmd jcmd) {
        this.jcmd = jcmd;
    }

    Sample sample() {
        jcmd.run("GC.run");
        long heap = heapUsedKiB(jcmd.run("GC.heap_info"));
        return new Sample(heap, otherCommittedKiB(jcmd.run("VM.native_memory", "summary")));
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
}
