package io.ssebroker.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Bytes of a request read as text, strictly: bytes that are not text in the charset are refused, never read as
 * replacement characters (two uids that differ only in such bytes would otherwise be one).
 */
final class StrictText {
    private StrictText() {
    }

    /** @throws IllegalArgumentException the bytes are not text in the charset */
    static String decode(byte[] bytes, int offset, int length, Charset charset) {
        if (charset.equals(StandardCharsets.UTF_8)) {
            // The JDK's own decoder is the fast path; a replacement character in its result means malformed bytes,
            // or a replacement character written as such, which the strict decoder below tells apart.
            String text = new String(bytes, offset, length, StandardCharsets.UTF_8);
            if (text.indexOf('\uFFFD') < 0) {
                return text;
            }
        }
        try {
            return charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, offset, length)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("not " + charset.name() + " text");
        }
    }
}
