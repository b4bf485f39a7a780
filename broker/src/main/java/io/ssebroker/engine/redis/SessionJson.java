package io.ssebroker.engine.redis;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.json.JsonValues;
import java.io.IOException;

/**
 * A presence entry as stored in Redis; the scripts read its {@code nonce}. It names the node process that holds the
 * connection ({@code nodeId}), so that an entry whose node is gone can be told from a live one. Written and read
 * field by field: every connect writes one and every disconnect reads one.
 */
final class SessionJson {

    private SessionJson() {
    }

    static String write(DeviceSession session, String nodeId) {
        StringBuilder json = new StringBuilder(160);
        field(json.append('{'), "nodeId", nodeId);
        field(json.append(','), "uid", session.uid());
        field(json.append(','), "device", session.device());
        field(json.append(','), "nonce", session.nonce());
        field(json.append(','), "node", session.nodeAddress());
        field(json.append(','), "client", session.clientAddress());
        return json.append(",\"login\":").append(session.loginTimeMillis()).append('}').toString();
    }

    private static void field(StringBuilder json, String name, String value) {
        json.append('"').append(name).append("\":\"");
        JsonStringEncoder.getInstance().quoteAsString(value, json);
        json.append('"');
    }

    /** The node process that holds the entry's connection; empty for an entry written by an older version. */
    static String nodeId(String json) {
        return parse(json).nodeId;
    }

    static DeviceSession read(String json) {
        Fields fields = parse(json);
        return new DeviceSession(fields.uid, fields.device, fields.nonce, fields.node, fields.client, fields.login);
    }

    /** The entry's fields; a field that is missing reads as empty (or 0), as from an older version. */
    private static final class Fields {
        String nodeId = "";
        String uid = "";
        String device = "";
        String nonce = "";
        String node = "";
        String client = "";
        long login;
    }

    private static Fields parse(String json) {
        Fields fields = new Fields();
        try (JsonParser parser = JsonValues.factory().createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("malformed presence entry: not an object");
            }
            String name;
            while ((name = parser.nextFieldName()) != null) {
                JsonToken value = parser.nextToken();
                switch (name) {
                    case "nodeId" -> fields.nodeId = text(parser, value);
                    case "uid" -> fields.uid = text(parser, value);
                    case "device" -> fields.device = text(parser, value);
                    case "nonce" -> fields.nonce = text(parser, value);
                    case "node" -> fields.node = text(parser, value);
                    case "client" -> fields.client = text(parser, value);
                    case "login" -> fields.login = value.isNumeric() ? parser.getValueAsLong() : 0;
                    default -> parser.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed presence entry", e);
        }
        return fields;
    }

    private static String text(JsonParser parser, JsonToken value) throws IOException {
        if (value.isStructStart()) {
            parser.skipChildren();
            return "";
        }
        return value == JsonToken.VALUE_NULL ? "" : parser.getText();
    }
}
