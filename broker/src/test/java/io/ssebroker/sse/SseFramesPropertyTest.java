package io.ssebroker.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Whatever a publisher puts in {@code data}, a browser's EventSource must see exactly one event with exactly that
 * data, and the id and event name given: no input may end a field early, forge an {@code id:}/{@code event:} line
 * or dispatch a second event.
 */
class SseFramesPropertyTest {
    private static final ByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;

    /** One event as the HTML spec's EventSource dispatches it. */
    record Dispatched(String lastEventId, String type, String data) {
    }

    /** What a spec parser made of a whole stream, including anything left undispatched at its end. */
    record Parsed(List<Dispatched> events, boolean pendingAtEnd) {
    }

    // ---- properties

    @Property
    void frameIsOneEventWithTheGivenIdTypeAndData(@ForAll("ids") String id, @ForAll("eventNames") String event,
                                                   @ForAll("data") String data) {
        Parsed parsed = parse(bytes(SseFrames.frame(ALLOC, new TextId(id), event, data)));

        assertThat(parsed.events()).hasSize(1);
        assertThat(parsed.pendingAtEnd()).as("nothing after the dispatching blank line").isFalse();
        Dispatched only = parsed.events().get(0);
        assertThat(only.lastEventId()).isEqualTo(id);
        assertThat(only.type()).isEqualTo(event);
        assertThat(only.data()).isEqualTo(normalizeLineEnds(data));
    }

    @Property
    void frameWithoutEventNameIsAMessageEvent(@ForAll("ids") String id, @ForAll("data") String data) {
        Parsed parsed = parse(bytes(SseFrames.frame(ALLOC, new TextId(id), null, data)));

        assertThat(parsed.events()).hasSize(1);
        assertThat(parsed.pendingAtEnd()).isFalse();
        assertThat(parsed.events().get(0)).isEqualTo(new Dispatched(id, "message", normalizeLineEnds(data)));
    }

    @Property
    void idLineThenBodyIsTheSameEventAsFrame(@ForAll("ids") String id, @ForAll("eventNames") String event,
                                             @ForAll("data") String data) {
        byte[] idLine = bytes(SseFrames.idLine(ALLOC, new TextId(id)));
        byte[] body = bytes(SseFrames.body(ALLOC, event, data));
        byte[] frame = bytes(SseFrames.frame(ALLOC, new TextId(id), event, data));
        byte[] joined = new byte[idLine.length + body.length];
        System.arraycopy(idLine, 0, joined, 0, idLine.length);
        System.arraycopy(body, 0, joined, idLine.length, body.length);

        Parsed parsed = parse(joined);
        assertThat(parsed.events()).containsExactly(new Dispatched(id, event, normalizeLineEnds(data)));
        assertThat(parsed.pendingAtEnd()).isFalse();
        assertThat(joined).isEqualTo(frame);
    }

    @Property
    void consecutiveFramesStayApart(@ForAll("ids") String firstId, @ForAll("data") String firstData,
                                    @ForAll("ids") String secondId, @ForAll("eventNames") String secondEvent,
                                    @ForAll("data") String secondData) {
        byte[] first = bytes(SseFrames.frame(ALLOC, new TextId(firstId), null, firstData));
        byte[] second = bytes(SseFrames.frame(ALLOC, new TextId(secondId), secondEvent, secondData));
        byte[] stream = new byte[first.length + second.length];
        System.arraycopy(first, 0, stream, 0, first.length);
        System.arraycopy(second, 0, stream, first.length, second.length);

        assertThat(parse(stream).events()).containsExactly(
                new Dispatched(firstId, "message", normalizeLineEnds(firstData)),
                new Dispatched(secondId, secondEvent, normalizeLineEnds(secondData)));
    }

    @Property
    void frameRejectsAnEventNameWithALineEnd(@ForAll("ids") String id, @ForAll("eventsWithLineEnd") String event,
                                             @ForAll("data") String data) {
        assertThatThrownBy(() -> SseFrames.frame(ALLOC, new TextId(id), event, data)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SseFrames.body(ALLOC, event, data)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- examples that name the classic attacks, so a failure reads plainly

    @Example
    void dataCannotForgeAnotherEvent() {
        String data = "ok\n\nid: 999\nevent: sys_kick_offline\ndata: forged";
        Parsed parsed = parse(bytes(SseFrames.frame(ALLOC, new TextId("1.a"), "chat", data)));
        assertThat(parsed.events()).containsExactly(new Dispatched("1.a", "chat", data));
    }

    @Example
    void loneCarriageReturnsAreLineEnds() {
        Parsed parsed = parse(bytes(SseFrames.frame(ALLOC, new TextId("7"), "chat", "a\rb\r\nc\r")));
        assertThat(parsed.events()).containsExactly(new Dispatched("7", "chat", "a\nb\nc\n"));
    }

    @Example
    void emptyDataIsStillAnEvent() {
        Parsed parsed = parse(bytes(SseFrames.frame(ALLOC, new TextId("8"), "ping", "")));
        assertThat(parsed.events()).containsExactly(new Dispatched("8", "ping", ""));
    }

    @Example
    void nulInAnEventNameIsRejected() {
        assertThatThrownBy(() -> SseFrames.frame(ALLOC, new TextId("1"), "a\0b", "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Example
    void rejectedFramesHoldNoMemory() {
        // a fresh allocator so that its counter sees only these buffers
        UnpooledByteBufAllocator counted = new UnpooledByteBufAllocator(true);
        for (int i = 0; i < 100; i++) {
            assertThatThrownBy(() -> SseFrames.frame(counted, new TextId("1"), "ch\nat", "payload"))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> SseFrames.frame(counted, new TextId("1"), "ch\rat", "payload"))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(counted.metric().usedDirectMemory()).as("direct memory left allocated by rejected frames").isZero();
        assertThat(counted.metric().usedHeapMemory()).as("heap memory left allocated by rejected frames").isZero();
    }

    // ---- generators

    /** Pieces that stress the framing: every line end, field-looking text, NUL, BOM, non-BMP and odd separators. */
    private static Arbitrary<String> hostilePieces() {
        return Arbitraries.of("\r", "\n", "\r\n", "\n\r", "\r\r", "\n\n", "\0", "", " ", ":", ": ", "id: x", "event: y",
                "data: z", "retry: 1", "\uFEFF", "\u0085", "\u2028", "\u2029", "\u000B", "\u000C", "é", "中文",
                "\uD83D\uDE00", "\uD834\uDD1E", "\uDBFF\uDFFF");
    }

    /** Any Unicode scalar value (no lone surrogates: a Java string holding one has no UTF-8 form). */
    private static Arbitrary<String> codePoints() {
        return Arbitraries.integers().between(0, Character.MAX_CODE_POINT)
                .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)
                .map(Character::toString);
    }

    private static Arbitrary<String> join(Arbitrary<String> pieces, int maxPieces) {
        return pieces.list().ofMaxSize(maxPieces).map(list -> String.join("", list));
    }

    @Provide
    Arbitrary<String> data() {
        Arbitrary<String> pieces = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, hostilePieces()),
                net.jqwik.api.Tuple.of(3, codePoints()),
                net.jqwik.api.Tuple.of(3, Arbitraries.strings().alpha().numeric().ofMaxLength(8)));
        return Arbitraries.oneOf(
                join(pieces, 40),
                Arbitraries.of("", "\r", "\n", "\r\n", "x\r", "\r\r\n\n", "\n\n\n"));
    }

    @Provide
    Arbitrary<String> eventNames() {
        Arbitrary<String> pieces = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, Arbitraries.of(" ", ":", "id: x", "data: z", "\uFEFF", "\u0085", "\u2028",
                        "\uD83D\uDE00", "é", "\t")),
                net.jqwik.api.Tuple.of(3, codePoints()),
                net.jqwik.api.Tuple.of(4, Arbitraries.strings().alpha().numeric().withChars("_-.").ofMinLength(1).ofMaxLength(16)));
        return pieces.list().ofMinSize(1).ofMaxSize(20)
                .map(list -> String.join("", list))
                .filter(name -> !name.isEmpty() && name.length() <= 128)
                .filter(name -> name.chars().noneMatch(c -> c == '\r' || c == '\n' || c == 0));
    }

    @Provide
    Arbitrary<String> ids() {
        return Arbitraries.strings().withChars("0123456789abcdefghijklmnopqrstuvwxyz.").ofMinLength(1).ofMaxLength(40);
    }

    @Provide
    Arbitrary<String> eventsWithLineEnd() {
        return withLineEnd(eventNames());
    }

    private static Arbitrary<String> withLineEnd(Arbitrary<String> valid) {
        return Combinators.combine(valid, Arbitraries.of("\r", "\n", "\r\n"), Arbitraries.integers().between(0, 1000))
                .as((text, lineEnd, at) -> {
                    int position = Math.min(at, text.length());
                    // keep surrogate pairs whole so that only the line end makes the value invalid
                    if (position > 0 && position < text.length() && Character.isLowSurrogate(text.charAt(position))) {
                        position--;
                    }
                    return text.substring(0, position) + lineEnd + text.substring(position);
                });
    }

    // ---- helpers

    static String normalizeLineEnds(String data) {
        return data.replace("\r\n", "\n").replace('\r', '\n');
    }

    private static byte[] bytes(ByteBuf buf) {
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    /**
     * The event stream interpretation of the HTML Living Standard (9.2.6): UTF-8 decode, drop one leading BOM, lines
     * end at CRLF, lone CR or lone LF; a blank line dispatches; {@code :} starts a comment; one space after the
     * colon is dropped.
     */
    static Parsed parse(byte[] stream) {
        String text = new String(stream, StandardCharsets.UTF_8);
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<Dispatched> events = new ArrayList<>();
        String lastEventId = "";
        String eventType = "";
        StringBuilder data = new StringBuilder();
        int position = 0;
        boolean pending = false;
        while (position < text.length()) {
            int end = position;
            while (end < text.length() && text.charAt(end) != '\r' && text.charAt(end) != '\n') {
                end++;
            }
            if (end == text.length()) {
                // a line without its end is never processed by a conforming parser
                pending = true;
                break;
            }
            String line = text.substring(position, end);
            position = end + (text.charAt(end) == '\r' && end + 1 < text.length() && text.charAt(end + 1) == '\n' ? 2 : 1);

            if (line.isEmpty()) {
                if (data.length() == 0) {
                    eventType = "";
                    continue;
                }
                data.setLength(data.length() - 1);
                events.add(new Dispatched(lastEventId, eventType.isEmpty() ? "message" : eventType, data.toString()));
                data.setLength(0);
                eventType = "";
                continue;
            }
            if (line.startsWith(":")) {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
                case "event" -> eventType = value;
                case "data" -> data.append(value).append('\n');
                case "id" -> {
                    if (value.indexOf('\0') < 0) {
                        lastEventId = value;
                    }
                }
                default -> {
                    // retry and unknown fields do not shape events
                }
            }
        }
        boolean undispatched = pending || data.length() > 0 || !eventType.isEmpty();
        return new Parsed(events, undispatched);
    }
}
