package io.ssebroker.spring;

import io.ssebroker.client.ConnectTokens;
import io.ssebroker.client.SseBrokerClient;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * An {@link SseBrokerClient} once {@code sse-broker.url} is set (there is no default: the usual default port of a
 * broker, 8080, is the application's own), and {@link ConnectTokens} when {@code sse-broker.token-secret} is set.
 */
@AutoConfiguration
@ConditionalOnClass(SseBrokerClient.class)
@EnableConfigurationProperties(SseBrokerProperties.class)
public class SseBrokerAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "sse-broker", name = "url")
    public SseBrokerClient sseBrokerClient(SseBrokerProperties properties) {
        if (properties.getUrl() == null || properties.getUrl().toString().isBlank()) {
            throw new IllegalStateException("sse-broker.url is set but empty: give the broker's address, for example "
                    + "http://sse-broker.internal:8080, or remove the property");
        }
        String apiKey = properties.getApiKey();
        if (apiKey != null && apiKey.contains("${")) {
            // Spring leaves a placeholder it cannot resolve as it is: every call would then fail with 401
            throw new IllegalStateException("sse-broker.api-key is a placeholder nothing resolved (" + apiKey
                    + "): set what it names, or give it a default, as in ${SSE_BROKER_API_KEY:}");
        }
        return SseBrokerClient.builder(properties.getUrl())
                .apiKey(properties.getApiKey())
                .connectTimeout(properties.getConnectTimeout())
                .requestTimeout(properties.getRequestTimeout())
                .maxRetries(properties.getMaxRetries())
                .retryBackoff(properties.getRetryBackoff())
                .build();
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "sse-broker", name = "token-secret")
    public ConnectTokens sseBrokerConnectTokens(SseBrokerProperties properties) {
        if (properties.getTokenSecret() == null || properties.getTokenSecret().isBlank()) {
            throw new IllegalStateException("sse-broker.token-secret is set but empty: give the broker's jwt.secret, "
                    + "or remove the property");
        }
        ConnectTokens tokens = new ConnectTokens(properties.getTokenSecret());
        if (properties.getTokenIssuer() != null) {
            tokens = tokens.withIssuer(properties.getTokenIssuer());
        }
        if (properties.getTokenAudience() != null) {
            tokens = tokens.withAudience(properties.getTokenAudience());
        }
        return tokens;
    }
}
