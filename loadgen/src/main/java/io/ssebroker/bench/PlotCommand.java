package io.ssebroker.bench;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sse-broker-loadgen plot --out DIR FILE…}: a latency percentile plot (SVG) per delivery case of the JSON
 * lines that {@code --json} runs printed, a line per system; of a case run several times, the first run.
 */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = "write a latency percentile plot (SVG) per scenario, a line per system, from bench results")
final class PlotCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "directory for the SVG files")
    Path out;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "files with one result per line")
    List<Path> files;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Map<String, PercentilePlot> plots = new LinkedHashMap<>();
        for (Path file : files) {
            for (String line : Files.readAllLines(file)) {
                if (!line.startsWith("{")) {
                    continue;
                }
                BenchResult result = JSON.readValue(line, BenchResult.class);
                if (result.delivery() == null || result.delivery().latency().curve() == null) {
                    continue;
                }
                String name = fileName(result);
                PercentilePlot plot = plots.computeIfAbsent(name, n -> new PercentilePlot(title(result)));
                plot.add(result.system(), result.delivery().latency().curve());
            }
        }
        Files.createDirectories(out);
        for (Map.Entry<String, PercentilePlot> plot : plots.entrySet()) {
            Files.writeString(out.resolve(plot.getKey()), plot.getValue().svg());
            spec.commandLine().getOut().println(out.resolve(plot.getKey()));
        }
        spec.commandLine().getOut().flush();
        return 0;
    }

    static String fileName(BenchResult result) {
        return result.scenario() + "-" + result.connections() + (result.rate() == null ? ""
                : String.format(Locale.ROOT, "-at-%.0f", result.rate())) + ".svg";
    }

    private static String title(BenchResult result) {
        return String.format(Locale.ROOT, "%s, %,d connections%s: delivery latency", result.scenario(),
                result.connections(), result.rate() == null ? "" : String.format(Locale.ROOT, ", %.0f msg/s", result.rate()));
    }
}
