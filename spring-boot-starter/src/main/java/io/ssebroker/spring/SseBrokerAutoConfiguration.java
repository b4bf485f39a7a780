package io.ssebroker.spring;

import io.ssebroker.client.ConnectTokens;
import io.ssebroker.client.SseBrokerClient;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/** An {@link SseBrokerClient} from {@code sse-broker.*}, and {@link ConnectTokens} when the secret is set. */
@AutoConfiguration
@ConditionalOnClass(SseBrokerClient.class)
@EnableConfigurationProperties(SseBrokerProperties.class)
public class SseBrokerAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public SseBrokerClient sseBrokerClient(SseBrokerProperties properties) {
        return SseBrokerClient.builder(properties.getUrl())
                .apiKey(properties.getApiKey())
                .connectTimeout(properties.getConnectTimeout())
                .requestTimeout(properties.getRequestTimeout())
                .maxRetries(properties.getMaxRetries())
                .build();
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "sse-broker", name = "token-secret")
    public ConnectTokens sseBrokerConnectTokens(SseBrokerProperties properties) {
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
