package io.ssebroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.testing.CommandRun;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The percentile plots: one well-formed SVG per delivery case, a line per system through each of its points. */
class PlotCommandTest {
    @TempDir
    Path dir;

    private static String run(String system, double scale) {
        StringBuilder curve = new StringBuilder();
        for (double p : LatencySummary.CURVE_PERCENTILES) {
            curve.append(curve.length() == 0 ? "" : ",").append("{\"percentile\":").append(p).append(",\"ms\":")
                    .append(scale * (1 + p / 10)).append('}');
        }
        return "{\"system\":\"" + system + "\",\"scenario\":\"unicast\",\"connections\":1000,\"connect\":{\"opened\":1000,"
                + "\"failed\":0,\"seconds\":1,\"perSecond\":1000,\"latency\":{\"count\":1,\"p50Ms\":1,\"p99Ms\":1,"
                + "\"p999Ms\":1,\"maxMs\":1}},\"delivery\":{\"seconds\":6,\"published\":10,\"publishedPerSecond\":1,"
                + "\"deliveries\":10,\"deliveriesPerSecond\":1,\"latency\":{\"count\":10,\"p50Ms\":1,\"p99Ms\":2,"
                + "\"p999Ms\":3,\"maxMs\":4,\"curve\":[" + curve + "]},\"lost\":0,\"duplicated\":0,\"publishErrors\":0,"
                + "\"droppedConnections\":0}}";
    }

    @Test
    void writesOneSvgPerCaseWithALinePerSystem() throws Exception {
        Path results = dir.resolve("results.jsonl");
        Files.writeString(results, run("sse-broker", 0.1) + "\n" + run("nchan", 1) + "\n" + run("nchan", 50) + "\n");
        Path out = dir.resolve("plots");
        assertThat(CommandRun.of(LoadgenMain.commandLine(), "plot", "--out", out.toString(), results.toString()).exit())
                .isZero();

        Path svg = out.resolve("unicast-1000.svg");
        Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
        NodeList lines = document.getElementsByTagName("polyline");
        assertThat(lines.getLength()).isEqualTo(2);
        for (int i = 0; i < lines.getLength(); i++) {
            Element line = (Element) lines.item(i);
            assertThat(line.getAttribute("points").split(" ")).hasSize(LatencySummary.CURVE_PERCENTILES.length);
        }
        assertThat(((Element) lines.item(1)).getElementsByTagName("title").item(0).getTextContent()).isEqualTo("nchan");
        assertThat(Files.readString(svg)).as("the first run of a case").doesNotContain("NaN");
        assertThat(PercentilePlot.nines(99)).isEqualTo(2.0, org.assertj.core.data.Offset.offset(1e-9));
    }
}
