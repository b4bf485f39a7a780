package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The addresses of extrusions that found no attached connection, for the connection that attaches after them. */
class RecentExtrusionsTest {

    @Test
    void namesTheNewConnectionOfAnExtrusionItWasToldOf() {
        RecentExtrusions extrusions = new RecentExtrusions();
        extrusions.add("n1", "192.0.2.7:50123");
        extrusions.add("n2", "192.0.2.8:40000");
        assertThat(extrusions.byWhom("n1")).isEqualTo("192.0.2.7:50123");
        assertThat(extrusions.byWhom("n2")).isEqualTo("192.0.2.8:40000");
        assertThat(extrusions.byWhom("n3")).as("not told of it").isEmpty();
        extrusions.add("n1", "192.0.2.9:1");
        assertThat(extrusions.byWhom("n1")).as("the latest extrusion of a connection").isEqualTo("192.0.2.9:1");
        extrusions.add("n1", "");
        assertThat(extrusions.byWhom("n1")).as("a recovery's extrusion knows no address").isEqualTo("192.0.2.9:1");
        extrusions.forget("n2");
        assertThat(extrusions.byWhom("n2")).isEmpty();
    }

    @Test
    void keepsAtMostItsBoundOldestForgottenFirst() {
        RecentExtrusions extrusions = new RecentExtrusions();
        for (int i = 0; i < 5000; i++) {
            extrusions.add("n" + i, "192.0.2.1:" + i);
        }
        assertThat(extrusions.byWhom("n0")).isEmpty();
        assertThat(extrusions.byWhom("n903")).isEmpty();
        assertThat(extrusions.byWhom("n904")).isEqualTo("192.0.2.1:904");
        assertThat(extrusions.byWhom("n4999")).isEqualTo("192.0.2.1:4999");
    }
}
