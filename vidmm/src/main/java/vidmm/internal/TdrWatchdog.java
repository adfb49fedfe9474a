package vidmm.internal;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import kmd.api.EngineNode;

/**
 * Watches the engines for timeouts: an engine with queued work that completed nothing for TdrDelay
 * has hung on its oldest submission. It ticks on its own thread; VidMm does the recovery.
 */
final class TdrWatchdog {
    /** What hung: the context and the fence of the oldest submission on the engine. */
    record Hang(EngineNode node, ContextState context, long fence) {
    }

    private final TdrPolicy policy;
    /** Per engine node: when work on it last completed or was reset ({@code System.nanoTime()}). */
    private final Map<EngineNode, Long> progress = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vidmm-tdr");
        t.setDaemon(true);
        return t;
    });

    TdrWatchdog(TdrPolicy policy) {
        this.policy = policy;
    }

    TdrPolicy policy() {
        return policy;
    }

    /** Starts calling {@code tick} every quarter of TdrDelay. */
    void start(Runnable tick) {
        long period = Math.max(5, policy.delayMillis / 4);
        timer.scheduleWithFixedDelay(tick, period, period, TimeUnit.MILLISECONDS);
    }

    void stop() {
        timer.shutdownNow();
    }

    /** Work on {@code node} completed, or the engine was reset: its clock starts again. */
    void progressed(EngineNode node) {
        progress.put(node, System.nanoTime());
    }

    /** The engine of {@code node} has hung, if its oldest queued submission of {@code contexts} waited too long; else null. */
    Hang hung(EngineNode node, Collection<ContextState> contexts) {
        ContextState context = null;
        Map.Entry<Long, ContextState.Pending> oldest = null;
        for (ContextState c : contexts) {
            Map.Entry<Long, ContextState.Pending> e = c.node == node && c.device.active() ? c.oldest() : null;
            if (e != null && (oldest == null || e.getValue().submittedNanos() < oldest.getValue().submittedNanos())) {
                oldest = e;
                context = c;
            }
        }
        if (oldest == null) {
            return null;
        }
        // a submission held back behind a GPU wait waits for the wait, not for the engine
        long since = context.isHeld(oldest.getKey()) ? oldest.getValue().submittedNanos()
                : Math.max(oldest.getValue().submittedNanos(), progress.getOrDefault(node, 0L));
        return System.nanoTime() - since > policy.delayMillis * 1_000_000L ? new Hang(node, context, oldest.getKey()) : null;
    }
}
