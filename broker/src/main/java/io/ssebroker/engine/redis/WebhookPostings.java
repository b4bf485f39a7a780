package io.ssebroker.engine.redis;

import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.ssebroker.engine.ChangeReceipt;
import io.ssebroker.engine.Failures;
import io.ssebroker.engine.StateChange;
import io.ssebroker.engine.StateChangeListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The presence changes this node took from the users' outboxes for its webhook and has not finished with (posted,
 * given up, dropped): each stays recorded in Redis until then, in the user's list of changes out for posting, under
 * this node's name and the change's delivery id, and the user in this node's set of users with such changes. When the
 * node dies first, or stops before its webhook posted everything, the survivor that clears it takes them over from
 * that set and posts them under the same ids: a change is posted at least once, and a change the node had posted
 * without recording it finished is posted twice, which the receiver drops by its {@code X-SSE-Delivery}. The survivor
 * also takes what is still queued in those users' outboxes: changes of a removal whose node died before it took them.
 *
 * <p>The set's member for a user is written before a removal or a take of the user's outbox and removed once none is
 * in flight and every change handed on since is finished; both commands are sent while the per-user count below is changed, so
 * that they reach Redis in the order of the counts (the set is one key, on one connection). Any thread.
 */
final class WebhookPostings {
    private static final Logger log = LoggerFactory.getLogger(WebhookPostings.class);

    private final RedisClusterAsyncCommands<String, String> commands;
    private final RedisScripts scripts;
    private final RedisKeys keys;
    private final String nodeId;
    private final StateChangeListener listener;
    /** Takes, and hands on, what is queued in a user's outbox. */
    private final Function<String, CompletableFuture<Void>> takeQueued;
    /** Per user: takes in flight and changes handed on and not finished; the user is in this node's set while above 0. */
    private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();
    /** Delivery ids handed on and not finished, so that a take-over run again hands none on twice. */
    private final Set<String> handedOn = ConcurrentHashMap.newKeySet();

    WebhookPostings(RedisClusterAsyncCommands<String, String> commands, RedisScripts scripts, RedisKeys keys,
                    String nodeId, StateChangeListener listener, Function<String, CompletableFuture<Void>> takeQueued) {
        this.takeQueued = takeQueued;
        this.commands = commands;
        this.scripts = scripts;
        this.keys = keys;
        this.nodeId = nodeId;
        this.listener = listener;
    }

    /** The name the takes of this node record their changes under. */
    String nodeId() {
        return nodeId;
    }

    /**
     * Before a removal or a take of the user's outbox: records the user in this node's set; completes once Redis
     * answered, whatever the answer. A record that failed (Redis stalled, say) does not stop the removal or the take,
     * which have their own ways through a stall: only a death of this node before it posts their changes then loses
     * them. Each call is paired with one {@link #close}, once what it began has its changes handed on or failed.
     */
    CompletableFuture<Void> open(String uid) {
        CompletableFuture<?>[] added = new CompletableFuture<?>[1];
        open.compute(uid, (user, count) -> {
            added[0] = commands.sadd(keys.nodePostingUsers(nodeId), uid).toCompletableFuture();
            return count == null ? 1 : count + 1;
        });
        return added[0].handle((done, failure) -> {
            if (failure != null) {
                log.warn("could not record user {} among this node's users with changes for its webhook ({}): should the"
                        + " node die before it posts them, they are lost", uid, Failures.cause(failure).toString());
            }
            return null;
        });
    }

    /** Ends what {@link #open} began; the user leaves the set when nothing of it is left. */
    void close(String uid) {
        open.computeIfPresent(uid, (user, count) -> {
            if (count > 1) {
                return count - 1;
            }
            commands.srem(keys.nodePostingUsers(nodeId), uid).toCompletableFuture()
                    .whenComplete(RedisRouting.logFailure("removing user " + uid + " from the node's posting users"));
            return null;
        });
    }

    /**
     * Hands the changes a take answered to the listener, each with a receipt that removes its record once finished.
     * Between {@link #open} and {@link #close} of the same user.
     *
     * @param entries the node, the delivery id and the outbox entry (marker, kind, device, reason, time ms, JSON),
     *                newline-separated
     */
    void handOn(String uid, List<?> entries) {
        for (Object taken : entries) {
            String entry = (String) taken;
            String[] fields = entry.split("\n", 8);
            String deliveryId = fields[1];
            if (!handedOn.add(deliveryId)) {
                continue; // a take-over run again answers what this node already posts
            }
            open.computeIfPresent(uid, (user, count) -> count + 1);
            StateChange change = new StateChange(StateChange.Kind.valueOf(fields[3]), uid, fields[4], fields[5],
                    Long.parseLong(fields[6]));
            listener.stateChanged(change, new Receipt(uid, entry, deliveryId));
        }
    }

    /**
     * Takes over, and hands on, the changes a node that stopped had out for posting, and then what is queued in the
     * outboxes of the same users; completes with how many were taken over. A user whose take-over fails
     * fails the whole, and the caller tries again (the node's set is deleted only once every user's is done).
     */
    CompletableFuture<Integer> takeOver(String stopped) {
        return commands.smembers(keys.nodePostingUsers(stopped)).toCompletableFuture().thenCompose(uids -> {
            List<CompletableFuture<Integer>> users = new ArrayList<>();
            for (String uid : uids) {
                users.add(open(uid)
                        .thenCompose(recorded -> scripts.run(RedisScripts.Script.TAKE_OVER_POSTINGS,
                                new String[] {keys.userPostings(uid)}, stopped, nodeId))
                        .thenCompose(entries -> {
                            handOn(uid, entries);
                            return takeQueued.apply(uid).thenApply(queued -> entries.size());
                        })
                        .whenComplete((count, failure) -> close(uid)));
            }
            return CompletableFuture.allOf(users.toArray(CompletableFuture[]::new))
                    .thenCompose(done -> commands.del(keys.nodePostingUsers(stopped)).toCompletableFuture())
                    .thenApply(deleted -> users.stream().mapToInt(CompletableFuture::join).sum());
        });
    }

    /** How many users this node has changes out for posting of, as Redis has it. */
    CompletableFuture<Long> recordedUsers() {
        return commands.scard(keys.nodePostingUsers(nodeId)).toCompletableFuture();
    }

    /** Removes a change's record once the listener is done with it. */
    private final class Receipt implements ChangeReceipt {
        private final String uid;
        private final String entry;
        private final String deliveryId;

        Receipt(String uid, String entry, String deliveryId) {
            this.uid = uid;
            this.entry = entry;
            this.deliveryId = deliveryId;
        }

        @Override
        public String deliveryId() {
            return deliveryId;
        }

        @Override
        public void finished() {
            if (!handedOn.remove(deliveryId)) {
                return; // finished already
            }
            commands.lrem(keys.userPostings(uid), 1, entry).toCompletableFuture().whenComplete((removed, failure) -> {
                if (failure != null) {
                    log.debug("the record of change {} of user {} stays after it was posted: {}", deliveryId, uid,
                            failure.toString());
                }
            });
            close(uid);
        }
    }
}
