package io.ssebroker.api;

import io.ssebroker.broker.Broker;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.NodeStatus;
import io.ssebroker.http.ApiRequest;
import io.ssebroker.http.PublisherEndpoint;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** {@code /info}: a device, a user, a node or the whole cluster, in go-sse-broker's field names. */
public final class InfoApi implements PublisherEndpoint {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    private final Broker broker;
    private final Engine engine;

    public InfoApi(Broker broker) {
        this.broker = broker;
        this.engine = broker.engine();
    }

    @Override
    public CompletableFuture<Object> handle(ApiRequest request) {
        Optional<String> device = Fields.optionalIdentifier(request.params(), "device");
        if (device.isPresent()) {
            return engine.device(device.get()).thenApply(session -> session
                    .map(this::device)
                    .orElseGet(() -> offlineDevice(device.get())));
        }
        Optional<String> uid = Fields.optionalIdentifier(request.params(), "uid");
        if (uid.isPresent()) {
            return engine.userDevices(uid.get()).thenApply(sessions -> user(uid.get(), sessions));
        }
        Optional<String> address = Fields.optionalIdentifier(request.params(), "address");
        if (address.isPresent()) {
            return engine.nodes().thenApply(nodes -> nodes.stream()
                    .filter(node -> node.address().equals(address.get()))
                    .findFirst()
                    .map(InfoApi::node)
                    .orElseGet(() -> node(new NodeStatus(false, "", address.get(), 0, 0))));
        }
        return engine.nodes().thenCombine(engine.userCount(), InfoApi::cluster);
    }

    private Object device(DeviceSession session) {
        Optional<Broker.LiveDetails> live = broker.liveDetails(session);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("online", true);
        out.put("device_id", session.nonce());
        out.put("device_name", session.device());
        out.put("uid", session.uid());
        out.put("login_time", time(session.loginTimeMillis()));
        out.put("instance_address", session.nodeAddress());
        out.put("device_address", session.clientAddress());
        out.put("last_touch_time", time(live.map(Broker.LiveDetails::lastTouchMillis).orElse(session.loginTimeMillis())));
        out.put("last_frame_id", live.map(Broker.LiveDetails::lastCursor).orElse(""));
        return out;
    }

    private static Object offlineDevice(String device) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("online", false);
        out.put("device_id", "");
        out.put("device_name", device);
        out.put("uid", "");
        out.put("login_time", "");
        out.put("instance_address", "");
        out.put("device_address", "");
        out.put("last_touch_time", "");
        out.put("last_frame_id", "");
        return out;
    }

    private Object user(String uid, List<DeviceSession> sessions) {
        List<Object> devices = new ArrayList<>();
        long login = Long.MAX_VALUE;
        long touch = 0;
        for (DeviceSession session : sessions) {
            devices.add(device(session));
            login = Math.min(login, session.loginTimeMillis());
            touch = Math.max(touch, broker.liveDetails(session).map(Broker.LiveDetails::lastTouchMillis)
                    .orElse(session.loginTimeMillis()));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("online", !sessions.isEmpty());
        out.put("uid", uid);
        out.put("login_time", sessions.isEmpty() ? "" : time(login));
        out.put("last_touch_time", sessions.isEmpty() ? "" : time(touch));
        out.put("devices", devices);
        return out;
    }

    private static Map<String, Object> node(NodeStatus node) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("online", node.online());
        out.put("version", node.version());
        out.put("address", node.address());
        out.put("start_time", node.online() ? time(node.startTimeMillis()) : "");
        out.put("device_count", node.deviceCount());
        return out;
    }

    private static Object cluster(List<NodeStatus> nodes, int userCount) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("instance_count", nodes.size());
        out.put("user_count", userCount);
        out.put("device_count", nodes.stream().mapToInt(NodeStatus::deviceCount).sum());
        out.put("instances", nodes.stream().map(InfoApi::node).toList());
        return out;
    }

    private static String time(long millis) {
        return TIME.format(Instant.ofEpochMilli(millis));
    }
}
