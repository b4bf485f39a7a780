package io.ssebroker.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProbeParsingTest {
    @Test
    void statFieldsCountFromTheLastParenthesisOfTheCommandName() {
        String stat = "4242 (nginx: worker (x) ) S 4241 4241 4241 0 -1 4194624 1234 0 0 0 150 25 0 0 20 0 1 0 "
                + "100 200000000 3000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";

        ProcFiles.Stat parsed = ProcFiles.stat(stat);

        assertThat(parsed.parentPid()).isEqualTo(4241);
        assertThat(parsed.cpuTicks()).isEqualTo(175);
        assertThat(parsed.minorFaults()).isEqualTo(1234);
    }

    @Test
    void kibFieldsOfStatusAndSmapsRollup() {
        String status = "Name:\tjava\nVmPeak:\t 9000 kB\nVmRSS:\t  123456 kB\nRssAnon:\t 100000 kB\n";
        String rollup = "55d0-7ffc ---p 00000000 00:00 0 [rollup]\nRss:  2000 kB\nPss:  1500 kB\nPss_Anon:  900 kB\n";

        assertThat(ProcFiles.kibField(status, "VmRSS")).isEqualTo(123456);
        assertThat(ProcFiles.kibField(rollup, "Pss")).isEqualTo(1500);
        assertThat(ProcFiles.kibField(status, "VmSwap")).isEqualTo(-1);
    }

    @Test
    void heapUsedOfG1AndOfGenerationalCollectors() {
        String g1 = """
                4242:
                 garbage-first heap   total 524288K, used 23456K [0x00000000e0000000, 0x0000000100000000)
                  region size 1024K, 3 young (3072K), 0 survivors (0K)
                 Metaspace       used 20000K, committed 20480K, reserved 1114112K
                  class space    used 2000K, committed 2048K, reserved 1048576K
                """;
        String parallel = """
                 PSYoungGen      total 76288K, used 3932K [0x, 0x, 0x)
                 ParOldGen       total 175104K, used 1000K [0x, 0x, 0x)
                 Metaspace       used 777K, committed 896K, reserved 1056768K
                """;

        assertThat(JvmMemoryProbe.heapUsedKiB(g1)).isEqualTo(23456);
        assertThat(JvmMemoryProbe.heapUsedKiB(parallel)).isEqualTo(4932);
    }

    @Test
    void heapUsedOfG1OnNewerJavaAndOfZgc() {
        String g1OnJava25 = """
                8316:
                garbage-first heap   total reserved 262144K, committed 262144K, used 27854K [0x00000000f0000000, 0x0000000100000000)
                 region size 1024K, 25 young (25600K), 2 survivors (2048K)
                 Metaspace       used 13562K, committed 13888K, reserved 1114112K
                """;
        String zgc = """
                8193:
                 ZHeap           used 24M, capacity 256M, max capacity 256M
                 Metaspace       used 13562K, committed 13888K, reserved 1114112K
                  class space    used 1738K, committed 1920K, reserved 1048576K
                """;

        assertThat(JvmMemoryProbe.heapUsedKiB(g1OnJava25)).isEqualTo(27854);
        assertThat(JvmMemoryProbe.heapUsedKiB(zgc)).isEqualTo(24 * 1024);
    }

    @Test
    void directMemoryIsNmtOtherCommittedOrUnknown() {
        String nmt = """
                Native Memory Tracking:
                Total: reserved=1700000KB, committed=400000KB
                -                 Java Heap (reserved=524288KB, committed=524288KB)
                -                     Other (reserved=34567KB, committed=34567KB)
                                            (malloc=34567KB #120)
                """;

        assertThat(JvmMemoryProbe.otherCommittedKiB(nmt)).isEqualTo(34567);
        assertThat(JvmMemoryProbe.otherCommittedKiB("4242:\nNative memory tracking is not enabled\n")).isNull();
    }

    @Test
    void compileTimeFromThisJvmsOwnPerformanceCounters() {
        long pid = ProcessHandle.current().pid();

        assertThat(new JitCompilerProbe(pid).compileNanos()).isPositive();
        assertThatThrownBy(() -> new JitCompilerProbe(Long.MAX_VALUE).compileNanos())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no performance counters");
    }

    @Test
    void compileTimeInTheCountersClockTicksInEitherByteOrder() {
        ByteBuffer slowerClock = counters(ByteOrder.BIG_ENDIAN, "sun.os.hrt.frequency", 1_000_000,
                "sun.ci.threads", 2, "java.ci.totalTime", 2_500);
        ByteBuffer nanoClock = counters(ByteOrder.LITTLE_ENDIAN, "java.ci.totalTime", 791_766_120,
                "sun.os.hrt.frequency", 1_000_000_000);

        assertThat(JitCompilerProbe.compileNanos(slowerClock)).isEqualTo(2_500_000L);
        assertThat(JitCompilerProbe.compileNanos(nanoClock)).isEqualTo(791_766_120L);
        assertThatThrownBy(() -> JitCompilerProbe.compileNanos(counters(ByteOrder.LITTLE_ENDIAN, "sun.ci.threads", 2)))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> JitCompilerProbe.compileNanos(ByteBuffer.allocate(64)))
                .isInstanceOf(IllegalStateException.class);
    }

    /** A counters file as the JVM lays it out, with long scalar entries: name, value, name, value, ... */
    private static ByteBuffer counters(ByteOrder order, Object... namesAndValues) {
        ByteBuffer file = ByteBuffer.allocate(4096);
        file.putInt(0xcafec0c0).put((byte) (order == ByteOrder.LITTLE_ENDIAN ? 1 : 0)).put((byte) 2).put((byte) 0)
                .put((byte) 1);
        file.order(order);
        file.putInt(0).putInt(0).putLong(0).putInt(32).putInt(namesAndValues.length / 2);
        for (int i = 0; i < namesAndValues.length; i += 2) {
            byte[] name = ((String) namesAndValues[i] + "\0").getBytes(StandardCharsets.US_ASCII);
            int dataOffset = 20 + (name.length + 7) / 8 * 8;
            int start = file.position();
            file.putInt(dataOffset + 8).putInt(20).putInt(0).put((byte) 'J').put((byte) 0).put((byte) 0).put((byte) 0)
                    .putInt(dataOffset);
            file.put(name);
            file.position(start + dataOffset);
            file.putLong(((Number) namesAndValues[i + 1]).longValue());
        }
        return file.flip();
    }
}
