package io.ssebroker.bench;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code sse-broker-loadgen table FILE…}: the markdown comparison of the JSON lines that {@code --json} runs printed. */
@Command(name = "table", mixinStandardHelpOptions = true,
        description = "print a markdown table comparing bench results (files of JSON lines from 'bench --json')")
final class TableCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "files with one result per line")
    List<Path> files;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<BenchResult> results = new ArrayList<>();
        for (Path file : files) {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith("{")) {
                    results.add(JSON.readValue(line, BenchResult.class));
                }
            }
        }
        spec.commandLine().getOut().print(ComparisonTable.render(results));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
