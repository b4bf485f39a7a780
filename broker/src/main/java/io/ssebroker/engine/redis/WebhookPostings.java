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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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

    /** A take-over's run again answers what the first renamed, however late: half a minute, as a drain's. */
    private static final AnswerLostRetry TAKE_OVER_RETRY = new AnswerLostRetry(TimeUnit.SECONDS.toMillis(30));

    private final RedisClusterAsyncCommands<String, String> commands;
    private final ScriptRunner scripts;
    private final RedisKeys keys;
    private final String nodeId;
    private final StateChangeListener listener;
    /** Takes, and hands on, what is queued in a user's outbox. */
    private final Function<String, CompletableFuture<Void>> takeQueued;
    /** Per user with removals or takes in flight or changes handed on and not finished: in this node's set meanwhile. */
    private final ConcurrentHashMap<String, OpenUser> open = new ConcurrentHashMap<>();
    /** Delivery ids handed on and not finished, so that a take-over run again hands none on twice. */
    private final Set<String> handedOn = ConcurrentHashMap.newKeySet();

    WebhookPostings(RedisClusterAsyncCommands<String, String> commands, ScriptRunner scripts, RedisKeys keys,
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
     * Before a removal or a take of the user's outbox: records the user in this node's set, unless it is there
     * already (or being put there); completes once Redis answered, whatever the answer. A record that failed (Redis
     * stalled, say) does not stop the removal or the take, which have their own ways through a stall: only a death of
     * this node before it posts their changes then loses them; the user's next open, while it is still open, records
     * it again. Each call is paired with one {@link #close}, once what it began has its changes handed on or failed.
     */
    CompletableFuture<Void> open(String uid) {
        return open.compute(uid, (user, already) -> {
            OpenUser opened = already != null ? already : new OpenUser();
            if (already != null) {
                already.count++;
            }
            if (already == null || already.unrecorded) {
                opened.unrecorded = false;
                opened.recorded = record(uid, opened);
            }
            return opened;
        }).recorded;
    }

    private CompletableFuture<Void> record(String uid, OpenUser opened) {
        return commands.sadd(keys.nodePostingUsers(nodeId), uid).toCompletableFuture().handle((added, failure) -> {
            if (failure != null) {
                opened.unrecorded = true;
                log.warn("could not record user {} among this node's users with changes for its webhook ({}): should"
                        + " the node die before it posts them, they are lost (recorded again at the user's next change)",
                        uid, Failures.cause(failure).toString());
            }
            return null;
        });
    }

    /** Ends what {@link #open} began; the user leaves the set when nothing of it is left. */
    void close(String uid) {
        open.computeIfPresent(uid, (user, opened) -> {
            if (--opened.count > 0) {
                return opened;
            }
            commands.srem(keys.nodePostingUsers(nodeId), uid).toCompletableFuture()
                    .whenComplete(RedisRouting.logFailure("removing user " + uid + " from the node's posting users"));
            return null;
        });
    }

    /**
     * Writes this node's set again, with every user still open (Redis lost it: it restarted empty, or a failover lost
     * the write): {@link #open} writes a user only when it opens it first, and what the user's changes recorded since
     * would otherwise be missed by a survivor taking them over. Each is sent as {@link #close} sends its removal, while
     * the user's count is held, so that a user closed meanwhile is not written back.
     */
    CompletableFuture<Void> recordAgain() {
        List<CompletableFuture<Long>> written = new ArrayList<>();
        for (String uid : open.keySet()) {
            open.computeIfPresent(uid, (user, opened) -> {
                written.add(commands.sadd(keys.nodePostingUsers(nodeId), uid).toCompletableFuture());
                return opened;
            });
        }
        return CompletableFuture.allOf(written.toArray(CompletableFuture[]::new));
    }

    /**
     * A user in this node's set: how many opens it has, when Redis answered the last command that put it there, and
     * whether that command failed.
     */
    private static final class OpenUser {
        /** Changed only inside the map's compute for the user. */
        private CompletableFuture<Void> recorded;
        private int count = 1;
        /** Set when the command failed (on a Lettuce thread); read and cleared inside the compute. */
        private volatile boolean unrecorded;
    }

    /**
     * Hands the changes a take answered to the listener, each with a receipt that removes its record once finished;
     * returns how many it handed on. Between {@link #open} and {@link #close} of the same user.
     *
     * @param entries the node, the delivery id and the outbox entry (marker, kind, device, reason, time ms, JSON),
     *                newline-separated
     */
    int handOn(String uid, List<?> entries) {
        int handed = 0;
        for (Object taken : entries) {
            String entry = (String) taken;
            String[] fields = entry.split("\n", 8);
            String deliveryId = fields[1];
            if (!handedOn.add(deliveryId)) {
                continue; // a take-over run again answers what this node already posts
            }
            open.computeIfPresent(uid, (user, opened) -> {
                opened.count++;
                return opened;
            });
            StateChange change = new StateChange(StateChange.Kind.valueOf(fields[3]), uid, fields[4], fields[5],
                    Long.parseLong(fields[6]));
            listener.stateChanged(change, new Receipt(uid, entry, deliveryId, fields[7]));
            handed++;
        }
        return handed;
    }

    /**
     * Takes over, and hands on, the changes a node that stopped had out for posting, and then what is queued in the
     * outboxes of the same users; completes with how many were taken over. A user whose take-over fails fails the
     * whole, and the caller tries again: the users read leave the node's set only once every one of them is done.
     * A take-over whose answer does not come is run again at once (see {@link AnswerLostRetry}): its first run may
     * have renamed the changes after this node, and a run by another survivor would not find them; a run again by
     * this one answers them.
     */
    CompletableFuture<Integer> takeOver(String stopped) {
        return commands.smembers(keys.nodePostingUsers(stopped)).toCompletableFuture().thenCompose(uids -> {
            List<CompletableFuture<Integer>> users = new ArrayList<>();
            for (String uid : uids) {
                AtomicBoolean unanswered = new AtomicBoolean();
                users.add(open(uid)
                        .thenCompose(recorded -> TAKE_OVER_RETRY.run(() -> scripts.run(RedisScripts.Script.TAKE_OVER_POSTINGS,
                                        new String[] {keys.userPostings(uid)}, stopped, nodeId),
                                "taking over the presence changes of user " + uid + " that node " + stopped + " had not posted",
                                () -> unanswered.set(true),
                                "what it renamed is posted when this node stops, or by the node that clears it"))
                        .thenApply(entries -> {
                            unanswered.set(false); // a run again answered what the first did
                            return entries;
                        })
                        .thenCompose(entries -> {
                            int handed = handOn(uid, entries);
                            return takeQueued.apply(uid).thenApply(queued -> handed);
                        })
                        .whenComplete((count, failure) -> {
                            // a take-over never answered may have renamed the changes after this node: the user
                            // stays among this node's users with changes, for its stop or a survivor to post them
                            if (failure == null || !unanswered.get()) {
                                close(uid);
                            }
                        }));
            }
            // Only the members read: a node taken for dead that only stalled may have recorded another user since.
            return CompletableFuture.allOf(users.toArray(CompletableFuture[]::new))
                    .thenCompose(done -> uids.isEmpty() ? CompletableFuture.completedFuture(0L) : commands
                            .srem(keys.nodePostingUsers(stopped), uids.toArray(String[]::new)).toCompletableFuture())
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
        private final String json;

        Receipt(String uid, String entry, String deliveryId, String json) {
            this.uid = uid;
            this.entry = entry;
            this.deliveryId = deliveryId;
            this.json = json;
        }

        @Override
        public String deliveryId() {
            return deliveryId;
        }

        @Override
        public String recordedJson() {
            return json;
        }

        @Override
        public void finished() {
            if (!handedOn.remove(deliveryId)) {
                return; // finished already
            }
            commands.lrem(keys.userPostings(uid), 1, entry).toCompletableFuture().whenComplete((removed, failure) -> {
                if (failure == null) {
                    close(uid);
                    return;
                }
                // The record stays, and with it the user among this node's: at its stop, or should it die, the change
                // is posted again under the same id, rather than a record nobody would look for.
                log.warn("could not remove the record of webhook change {} of user {}: {}", deliveryId, uid,
                        Failures.cause(failure).toString());
            });
        }
    }
}
