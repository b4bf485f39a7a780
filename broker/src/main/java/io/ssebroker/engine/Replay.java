package io.ssebroker.engine;

import java.util.List;

/**
 * What a connection must be sent before it goes live: the position it starts from, the retained messages after
 * it (in order per stream), and the reason for a {@code sys_reset} when the history after the cursor is incomplete.
 */
public record Replay(Position start, List<StreamMessage> messages, String resetReason) {

    public static final String EXPIRED = "expired";
    public static final String HISTORY_LOST = "history_lost";
    public static final String UNKNOWN_CURSOR = "unknown_cursor";
}
