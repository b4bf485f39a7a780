package io.ssebroker.bench;

/** The sizes and timings of one run, as given on the command line. */
record BenchSettings(int connections, int connectConcurrency, int openTimeoutSeconds, double rate, int window,
                     int publishers, int paddingBytes, int warmupSeconds, int durationSeconds, int drainSeconds,
                     int holdSeconds, int settleSeconds) {
}
