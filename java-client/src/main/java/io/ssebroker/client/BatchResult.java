package io.ssebroker.client;

/**
 * The outcome of one message of a batch: {@code online} target devices when it was accepted, else the status and
 * reason of its refusal (the other messages of the batch are not affected).
 */
public record BatchResult(int code, String message, int online) {

    public boolean accepted() {
        return code == 1;
    }
}
