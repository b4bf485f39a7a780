package io.ssebroker.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The server under test as the kernel sees it: the given processes and all their descendants (nginx's workers,
 * Pushpin's services), so multi-process servers are measured whole. Read from /proc at each sample.
 */
final class ServerProcesses {
    /**
     * CPU ticks, resident set, proportional set and minor page faults summed over the tree. A minor fault is a page
     * a process touched for the first time (or again after giving it back), which the kernel had to map and zero.
     */
    record Usage(long cpuTicks, long rssKiB, long pssKiB, long minorFaults) {
        double cpuSecondsSince(Usage earlier) {
            return (cpuTicks - earlier.cpuTicks) / (double) ProcFiles.TICKS_PER_SECOND;
        }
    }

    private final List<Long> roots;

    ServerProcesses(List<Long> roots) {
        this.roots = List.copyOf(roots);
    }

    /** The processes given (their descendants not included): the ones a JVM probe looks at. */
    List<Long> roots() {
        return roots;
    }

    Usage usage() {
        long ticks = 0;
        long rss = 0;
        long pss = 0;
        long faults = 0;
        for (long pid : tree()) {
            Path proc = Path.of("/proc", Long.toString(pid));
            try {
                ProcFiles.Stat stat = ProcFiles.stat(Files.readString(proc.resolve("stat")));
                ticks += stat.cpuTicks();
                faults += stat.minorFaults();
                rss += Math.max(0, ProcFiles.kibField(Files.readString(proc.resolve("status")), "VmRSS"));
                pss += Math.max(0, ProcFiles.kibField(Files.readString(proc.resolve("smaps_rollup")), "Pss"));
            } catch (IOException | RuntimeException e) {
                // the process ended between listing and reading: it no longer uses anything
            }
        }
        return new Usage(ticks, rss, pss, faults);
    }

    private Set<Long> tree() {
        Map<Long, List<Long>> children = new HashMap<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            entries.map(p -> p.getFileName().toString()).filter(name -> name.chars().allMatch(Character::isDigit))
                    .forEach(name -> {
                        try {
                            long parent = ProcFiles.stat(Files.readString(Path.of("/proc", name, "stat"))).parentPid();
                            children.computeIfAbsent(parent, k -> new ArrayList<>()).add(Long.parseLong(name));
                        } catch (IOException | RuntimeException e) {
                            // gone meanwhile
                        }
                    });
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
        }
        Set<Long> tree = new HashSet<>();
        List<Long> pending = new ArrayList<>(roots);
        while (!pending.isEmpty()) {
            long pid = pending.remove(pending.size() - 1);
            if (tree.add(pid)) {
                pending.addAll(children.getOrDefault(pid, List.of()));
            }
        }
        return tree;
    }
}
