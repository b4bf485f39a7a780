package io.ssebroker.auth;

import io.ssebroker.config.ConfigLoader;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Verification of an HS256 connect token, as every {@code /events} request does before anything else. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TokenVerifyBenchmark {
    private TokenService tokens;
    private String token;
    private String forged;

    @Setup
    public void setUp() {
        tokens = new TokenService(new ConfigLoader(Map.of())
                .load(Optional.empty(), Map.of("jwt.secret", "benchmark-secret-of-at-least-32-bytes!!"))
                .config().jwt());
        token = tokens.mint("user-1965", "phone-1", 3600);
        forged = token.substring(0, token.length() - 4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
    }

    @Benchmark
    public VerifiedToken verifyValid() throws TokenException {
        return tokens.verify(token);
    }

    @Benchmark
    public boolean refuseBadSignature() {
        try {
            tokens.verify(forged);
            return true;
        } catch (TokenException e) {
            return false;
        }
    }
}
