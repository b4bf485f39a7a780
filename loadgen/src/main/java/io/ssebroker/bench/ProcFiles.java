package io.ssebroker.bench;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing of the /proc files the server probe reads (proc(5)). */
final class ProcFiles {
    /** Ticks of /proc/[pid]/stat times: USER_HZ, 100 on every Linux architecture the bench runs on. */
    static final int TICKS_PER_SECOND = 100;

    private ProcFiles() {
    }

    /** The fields of /proc/[pid]/stat that the probe uses. */
    record Stat(long parentPid, long cpuTicks, long minorFaults) {
    }

    /** Parses /proc/[pid]/stat; the command name may hold spaces and parentheses, so fields count from the last ')'. */
    static Stat stat(String text) {
        String[] fields = text.substring(text.lastIndexOf(')') + 2).trim().split(" ");
        // fields[0] is field 3 (state): ppid is field 4, minflt 10, utime 14, stime 15
        return new Stat(Long.parseLong(fields[1]), Long.parseLong(fields[11]) + Long.parseLong(fields[12]),
                Long.parseLong(fields[7]));
    }

    /** The value in kB of a "Name:   123 kB" line of /proc/[pid]/status or smaps_rollup; -1 when absent. */
    static long kibField(String text, String name) {
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + ":\\s+(\\d+) kB").matcher(text);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
    }
}
