package io.ssebroker.bench;

/**
 * Channel names for the peers, which route by channel rather than by user: one shared channel when every
 * message is a broadcast, one channel per user otherwise.
 */
record Channels(boolean broadcast) {

    String subscribedBy(int subscriber) {
        return broadcast ? "all" : "u" + subscriber;
    }

    String publishedTo(int subscriber) {
        return subscriber == Target.EVERYONE ? "all" : "u" + subscriber;
    }
}
