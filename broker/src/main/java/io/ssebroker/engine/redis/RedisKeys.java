package io.ssebroker.engine.redis;

/**
 * Names of every key and channel. The keys of one user share a hash tag, so that its stream, presence and channel
 * live on one Redis Cluster slot and one script can touch them all.
 */
final class RedisKeys {
    private final String prefix;

    RedisKeys(String prefix) {
        this.prefix = prefix;
    }

    String userStream(String uid) {
        return user(uid) + ":s";
    }

    String userMeta(String uid) {
        return user(uid) + ":m";
    }

    String userChannel(String uid) {
        return user(uid) + ":c";
    }

    String userPresence(String uid) {
        return user(uid) + ":p";
    }

    /** A {@code SCAN} pattern that matches the presence hashes of all users (and no other key). */
    String everyUsersPresence() {
        return prefix.replaceAll("([\\\\*?\\[\\]])", "\\\\$1") + ":{u:*}:p";
    }

    /** Remembers a publication to the user's stream by its id (idempotency). */
    String userPublication(String uid, String id) {
        return user(uid) + ":i:" + id;
    }

    String broadcastPublication(String id) {
        return prefix + ":{b}:i:" + id;
    }

    /** Presence changes of the user waiting to be reported (each taken, and reported, once). */
    String userOutbox(String uid) {
        return user(uid) + ":x";
    }

    /** The session a connection's registration replaced, kept a minute for a re-sent registration. */
    String userReplaced(String uid, String nonce) {
        return user(uid) + ":r:" + nonce;
    }

    /** What one taking of the user's outbox took, kept a minute for a re-sent command. */
    String userTaken(String uid, String request) {
        return user(uid) + ":t:" + request;
    }

    /** Presence changes of the user taken by nodes for their webhooks and not yet posted, each under its node's name. */
    String userPostings(String uid) {
        return user(uid) + ":w";
    }

    /** Offlines of the user and its devices held for the offline grace (field: "user" or "d:" + device). */
    String userHeldOfflines(String uid) {
        return user(uid) + ":h";
    }

    String broadcastStream() {
        return prefix + ":{b}:s";
    }

    String broadcastMeta() {
        return prefix + ":{b}:m";
    }

    String broadcastChannel() {
        return prefix + ":{b}:c";
    }

    String controlChannel() {
        return prefix + ":{ctl}:c";
    }

    String deviceOwner(String device) {
        return prefix + ":{d:" + device + "}:o";
    }

    /**
     * The device's take record: its latest take and the users that had it in the last two minutes (take-record.lua); in
     * the owner's slot, for the scripts that read both.
     */
    String deviceTakes(String device) {
        return prefix + ":{d:" + device + "}:ot";
    }

    /**
     * Asks to write again the presence of connections held by the node at this address (field: the connection's
     * nonce, value: the failed registration's), kept while a control message carrying them may have been lost.
     */
    String restoreAsks(String nodeAddress) {
        return prefix + ":{a:" + nodeAddress + "}:r";
    }

    String nodes() {
        return prefix + ":nodes";
    }

    String nodeBeat(String node) {
        return prefix + ":node:" + node;
    }

    String nodeDevices(String node) {
        return prefix + ":{n:" + node + "}:d";
    }

    /** The users of whom the node has changes out for posting to its webhook. */
    String nodePostingUsers(String node) {
        return prefix + ":{n:" + node + "}:w";
    }

    String nodeClearLock(String node) {
        return prefix + ":clear:" + node;
    }

    /** Written by a node that clears (or is clearing) this node's devices as a dead node's; taken by the node. */
    String nodeCleared(String node) {
        return prefix + ":cleared:" + node;
    }

    /** Users with offlines held for the grace, scored by when the grace ends (any node releases them). */
    String usersWithHeldOfflines() {
        return prefix + ":held";
    }

    /** Held by the node that sweeps presence this heartbeat. */
    String sweepLock() {
        return prefix + ":sweep";
    }

    String onlineUsers() {
        return prefix + ":users";
    }

    String epoch() {
        return prefix + ":epoch";
    }

    /** The first result of a send made with this idempotency key ({@link SendResults}). */
    String sendResult(String idempotencyKey) {
        return prefix + ":sent:" + idempotencyKey;
    }

    String kickedUid(String uid) {
        return prefix + ":kick:u:" + uid;
    }

    String kickedDevice(String device) {
        return prefix + ":kick:d:" + device;
    }

    /** The user's most recently kicked or extruded connections (nonces). */
    String endedConnections(String uid) {
        return user(uid) + ":e";
    }

    private String user(String uid) {
        return prefix + ":{u:" + uid + "}";
    }
}
