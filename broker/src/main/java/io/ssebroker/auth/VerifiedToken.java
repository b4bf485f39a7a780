package io.ssebroker.auth;

/** What a valid connect token says: the user, the device it is bound to (or null), when it was issued and expires. */
public record VerifiedToken(String uid, String device, long issuedAtMillis, long expiresAtMillis) {
}
