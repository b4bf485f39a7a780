package io.ssebroker.auth;

/**
 * The JWKS address did not answer (refused, timed out, an HTTP error): unlike a malformed set, something a later try
 * can mend (an identity provider or a name server still starting), so a supervisor should start the node again.
 */
public final class JwksUnreachableException extends RuntimeException {
    JwksUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
