package io.ssebroker.bench;

/**
 * What the bench puts in a message's data: {@code <sequence>:<send time in System.nanoTime()>}, optionally
 * followed by a space and padding. Publisher and subscribers run in the same process, so the send time can be
 * compared with the receive time directly.
 */
record Stamp(long sequence, long sentNanos) {

    String payload(String padding) {
        String stamp = sequence + ":" + sentNanos;
        return padding.isEmpty() ? stamp : stamp + ' ' + padding;
    }

    /** Parses the stamp at the start of {@code line[from, to)}; null when the text is not one. */
    static Stamp parse(byte[] line, int from, int to) {
        int i = from;
        long sequence = 0;
        int start = i;
        while (i < to && isDigit(line[i])) {
            sequence = sequence * 10 + (line[i++] - '0');
        }
        if (i == start || i - start > 18 || i >= to || line[i++] != ':') {
            return null;
        }
        long sent = 0;
        start = i;
        while (i < to && isDigit(line[i])) {
            sent = sent * 10 + (line[i++] - '0');
        }
        if (i == start || i - start > 18 || (i < to && line[i] != ' ')) {
            return null;
        }
        return new Stamp(sequence, sent);
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }
}
