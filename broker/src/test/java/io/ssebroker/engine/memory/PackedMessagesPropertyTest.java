package io.ssebroker.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.ssebroker.engine.StreamMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Packed retention answers exactly what a plain queue of the same messages would: whatever the text (any UTF-16,
 * unpaired surrogates aside), however appends and trims interleave while the buffer grows, compacts and shrinks.
 * It holds one buffer while it retains anything and none once empty or released: the direct memory counted by the
 * allocator is its buffer's, then nothing.
 */
class PackedMessagesPropertyTest {
    private static final String[] DEVICES = {"phone", "tablet", "😀-watch", "laptop"};

    /** An append (its message), a trim of the oldest, or a replay after some offset for a device. */
    sealed interface Step permits Append, Trim, Read {
    }

    record Append(String event, String data, Set<String> devices) implements Step {
    }

    record Trim(int howMany) implements Step {
    }

    record Read(int offsetsBack, String device) implements Step {
    }

    @Property(tries = 300)
    void answersLikeAQueueOfTheSameMessages(@ForAll("steps") List<Step> steps) {
        UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(true);
        PackedMessages packed = new PackedMessages("u-1", allocator);
        ArrayDeque<StreamMessage> model = new ArrayDeque<>();
        long offset = 1000;
        long time = 1_700_000_000_000L;
        for (Step step : steps) {
            if (step instanceof Append append) {
                StreamMessage message = new StreamMessage("u-1", ++offset, append.event(), append.data(), append.devices(), ++time);
                packed.addLast(message);
                model.addLast(message);
            } else if (step instanceof Trim trim) {
                for (int i = 0; i < trim.howMany() && !model.isEmpty(); i++) {
                    assertThat(packed.firstPublishedAtMillis()).isEqualTo(model.peekFirst().publishedAtMillis());
                    assertThat(packed.removeFirst()).isEqualTo(model.removeFirst().offset());
                }
            } else if (step instanceof Read read) {
                long after = offset - read.offsetsBack();
                List<StreamMessage> answered = new ArrayList<>();
                packed.forEachAfter(after, read.device(), answered::add);
                assertThat(answered).containsExactlyElementsOf(model.stream()
                        .filter(m -> m.offset() > after && m.addressedTo(read.device())).toList());
            }
            assertThat(packed.size()).isEqualTo(model.size());
            assertThat(packed.isEmpty()).isEqualTo(model.isEmpty());
            assertThat(allocator.metric().usedDirectMemory())
                    .isEqualTo(model.isEmpty() ? 0 : packed.retainedBufferBytes());
        }
        List<StreamMessage> all = new ArrayList<>();
        packed.forEachAfter(Long.MIN_VALUE, "phone", all::add);
        assertThat(all).containsExactlyElementsOf(model.stream().filter(m -> m.addressedTo("phone")).toList());
        packed.release();
        assertThat(packed.isEmpty()).isTrue();
        assertThat(allocator.metric().usedDirectMemory()).isZero();
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<String> text = Arbitraries.strings().all().ofMaxLength(300)
                .filter(s -> s.codePoints().noneMatch(c -> c >= 0xD800 && c <= 0xDFFF));
        Arbitrary<String> event = Arbitraries.oneOf(Arbitraries.just(null), Arbitraries.of("", "order", "ünïcode"));
        Arbitrary<Set<String>> devices = Arbitraries.of(DEVICES).set().ofMaxSize(3);
        Arbitrary<Step> append = Combinators.combine(event, text, devices).as(Append::new);
        Arbitrary<Step> trim = Arbitraries.integers().between(1, 40).map(Trim::new);
        Arbitrary<Step> read = Combinators.combine(Arbitraries.integers().between(-2, 60), Arbitraries.of(DEVICES))
                .as(Read::new);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, append), net.jqwik.api.Tuple.of(1, trim), net.jqwik.api.Tuple.of(1, read))
                .list().ofMaxSize(400);
    }

    /** A burst grows the buffer; as it is trimmed away the buffer is given back down to a small one, then none. */
    @Example
    void aBurstsBufferIsGivenBackOnceTrimmed() {
        UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(true);
        PackedMessages packed = new PackedMessages(null, allocator);
        String big = "x".repeat(60_000);
        for (int i = 1; i <= 100; i++) {
            packed.addLast(new StreamMessage(null, i, null, big, Set.of(), i));
        }
        assertThat(packed.retainedBufferBytes()).isGreaterThan(100 * 60_000);
        while (packed.size() > 1) {
            packed.removeFirst();
        }
        // small messages come and go, one retained at a time, until the burst's buffer is full of trimmed records
        for (int i = 101; i <= 400_000 && packed.retainedBufferBytes() > PackedMessages.INITIAL_BYTES; i++) {
            packed.addLast(new StreamMessage(null, i, null, "small", Set.of(), i));
            packed.removeFirst();
        }
        assertThat(packed.retainedBufferBytes()).isLessThanOrEqualTo(PackedMessages.INITIAL_BYTES);
        assertThat(allocator.metric().usedDirectMemory()).isEqualTo(packed.retainedBufferBytes());
        packed.removeFirst();
        assertThat(allocator.metric().usedDirectMemory()).isZero();
    }
}
