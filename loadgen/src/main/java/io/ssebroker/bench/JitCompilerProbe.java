package io.ssebroker.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How long a JVM's JIT compilers have worked so far: the time of every compilation, summed over the compiler
 * threads ({@code java.ci.totalTime}), read from the performance counters the JVM keeps in a shared file
 * ({@code /tmp/hsperfdata_<user>/<pid>}, what {@code jcmd PerfCounter.print} and {@code jstat} read). Reading the
 * file costs the load generator a few microseconds and the server nothing; running {@code jcmd} instead would start
 * a JVM, about a third of a CPU second on a core the measured server shares, between the warm-up's steps and just
 * before the measured window.
 */
final class JitCompilerProbe {
    private static final Path TEMP = Path.of("/tmp");
    private static final int MAGIC = 0xcafec0c0;
    private static final String TOTAL_TIME = "java.ci.totalTime";
    private static final String FREQUENCY = "sun.os.hrt.frequency";

    private final long pid;

    JitCompilerProbe(long pid) {
        this.pid = pid;
    }

    long compileNanos() {
        Path file = countersFile(pid);
        try {
            return compileNanos(ByteBuffer.wrap(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the JVM's performance counters " + file + ": " + e.getMessage(), e);
        }
    }

    /** The process's counters file, under the temporary directory of whichever user runs it. */
    private static Path countersFile(long pid) {
        try (DirectoryStream<Path> users = Files.newDirectoryStream(TEMP, "hsperfdata_*")) {
            for (Path user : users) {
                Path file = user.resolve(Long.toString(pid));
                if (Files.isRegularFile(file)) {
                    return file;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + TEMP + ": " + e.getMessage(), e);
        }
        throw new IllegalStateException("JVM " + pid + " keeps no performance counters in " + TEMP
                + " (started with -XX:-UsePerfData or -XX:+PerfDisableSharedMem?)");
    }

    /**
     * The compile time from a counters file: a header (magic, byte order, version, where the entries start and how
     * many there are), then entries of a length, a name and a value each. The total is in ticks of the JVM's
     * high-resolution clock, whose frequency is another counter.
     */
    static long compileNanos(ByteBuffer counters) {
        // the magic number is written in big-endian order; the byte after it gives the order of everything else
        if (counters.limit() < 32 || counters.order(ByteOrder.BIG_ENDIAN).getInt(0) != MAGIC) {
            throw new IllegalStateException("not a JVM performance counters file");
        }
        counters.order(counters.get(4) == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        int offset = counters.getInt(24);
        int entries = counters.getInt(28);
        long total = -1;
        long frequency = -1;
        for (int i = 0; i < entries && offset + 20 <= counters.limit(); i++) {
            int length = counters.getInt(offset);
            if (length <= 0) {
                break;
            }
            String name = name(counters, offset + counters.getInt(offset + 4));
            boolean scalarLong = counters.getInt(offset + 8) == 0 && counters.get(offset + 12) == 'J';
            if (scalarLong && (name.equals(TOTAL_TIME) || name.equals(FREQUENCY))) {
                long value = counters.getLong(offset + counters.getInt(offset + 16));
                if (name.equals(TOTAL_TIME)) {
                    total = value;
                } else {
                    frequency = value;
                }
            }
            offset += length;
        }
        if (total < 0 || frequency <= 0) {
            throw new IllegalStateException("no compile time in the JVM's performance counters");
        }
        return (long) (total * (1e9 / frequency));
    }

    private static String name(ByteBuffer counters, int start) {
        int end = start;
        while (end < counters.limit() && counters.get(end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end - start];
        counters.get(start, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
