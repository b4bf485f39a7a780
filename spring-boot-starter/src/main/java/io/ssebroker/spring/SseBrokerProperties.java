package io.ssebroker.spring;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** {@code sse-broker.*}: where the broker is and how to call it. */
@ConfigurationProperties(prefix = "sse-broker")
public class SseBrokerProperties {
    /** Base URL of a broker node, or of the load balancer in front of the nodes (required: no client without it). */
    private URI url;
    /** One of the broker's auth.api_keys; without one, only a broker on the same host answers. */
    private String apiKey;
    /** The broker's jwt.secret: when set, a ConnectTokens bean mints connect tokens locally, without a call. */
    private String tokenSecret;
    /** The broker's jwt.issuer, written into locally minted tokens. */
    private String tokenIssuer;
    /** The broker's jwt.audience, written into locally minted tokens. */
    private String tokenAudience;
    /** How long connecting to the broker may take (a number alone: milliseconds; write 5s). */
    private Duration connectTimeout = Duration.ofSeconds(5);
    /** How long one call may take (a number alone: milliseconds; write 10s). */
    private Duration requestTimeout = Duration.ofSeconds(10);
    /** Retries of calls that are safe to repeat (reads, tokens, sends with an idempotency key). */
    private int maxRetries = 2;
    /**
     * The pause before the first retry: half to all of it, then twice as long each time, at most 5 s (a number alone:
     * milliseconds).
     */
    private Duration retryBackoff = Duration.ofMillis(200);
    /**
     * How long the health indicator waits for the broker's /readyz before it reports the broker down (a number alone:
     * milliseconds; write 2s).
     */
    private Duration healthTimeout = Duration.ofSeconds(2);

    public URI getUrl() {
        return url;
    }

    public void setUrl(URI url) {
        this.url = url;
    }

    public String getApiKey() {
        return apiKey;
    }

    public void setApiKey(String apiKey) {
        this.apiKey = apiKey;
    }

    public String getTokenSecret() {
        return tokenSecret;
    }

    public void setTokenSecret(String tokenSecret) {
        this.tokenSecret = tokenSecret;
    }

    public String getTokenIssuer() {
        return tokenIssuer;
    }

    public void setTokenIssuer(String tokenIssuer) {
        this.tokenIssuer = tokenIssuer;
    }

    public String getTokenAudience() {
        return tokenAudience;
    }

    public void setTokenAudience(String tokenAudience) {
        this.tokenAudience = tokenAudience;
    }

    public Duration getConnectTimeout() {
        return connectTimeout;
    }

    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public Duration getRequestTimeout() {
        return requestTimeout;
    }

    public void setRequestTimeout(Duration requestTimeout) {
        this.requestTimeout = requestTimeout;
    }

    public int getMaxRetries() {
        return maxRetries;
    }

    public void setMaxRetries(int maxRetries) {
        this.maxRetries = maxRetries;
    }

    public Duration getRetryBackoff() {
        return retryBackoff;
    }

    public void setRetryBackoff(Duration retryBackoff) {
        this.retryBackoff = retryBackoff;
    }

    public Duration getHealthTimeout() {
        return healthTimeout;
    }

    public void setHealthTimeout(Duration healthTimeout) {
        this.healthTimeout = healthTimeout;
    }
}
