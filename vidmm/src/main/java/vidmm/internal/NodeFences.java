package vidmm.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import kmd.api.EngineNode;

/**
 * The scheduler's SubmissionFenceIds (DXGKARG_SUBMITCOMMAND[VIRTUAL].SubmissionFenceId): each node of
 * each physical GPU (NodeOrdinal, EngineOrdinal) numbers what VidMm gives the driver there 1, 2, ...,
 * in the order given, and DXGK_INTERRUPT_DMA_COMPLETED names a node's id. VidMm maps an id back to
 * what it was given for: a context's submission (its fence on the context's own timeline) or a
 * paging buffer (VidMm's paging fence value; paging buffers run on the COPY node of GPU 0).
 *
 * <p>Simpler than WDDM on purpose: a node of the model may have several engines (copy engines run
 * devices in parallel), so a node's id completes its own submission, and with it its context's
 * earlier ones, not every lower id of the node. An engine reset drops the node's ids: what is
 * resubmitted gets new ones. Thread safe: ids are taken under the adapter's call order, completions
 * arrive on engine threads.
 */
final class NodeFences {
    /** What an id was given for: a context's fence, or (context null) a paging fence value. */
    record Entry(ContextState context, long fence) {
    }

    private record Node(EngineNode node, int gpu) {
    }

    private static final class Timeline {
        long last;
        final TreeMap<Long, Entry> given = new TreeMap<>();
    }

    private final Map<Node, Timeline> nodes = new HashMap<>();

    /**
     * The next id of {@code node} of {@code gpu}, given for {@code entry} before the driver is called
     * (its completion may arrive before the call returns).
     */
    synchronized long give(EngineNode node, int gpu, Entry entry) {
        Timeline t = nodes.computeIfAbsent(new Node(node, gpu), k -> new Timeline());
        long id = ++t.last;
        t.given.put(id, entry);
        return id;
    }

    /**
     * Gives submission {@code fence} of context {@code c} the next id of the context's node on its GPU
     * and calls {@code toDriver} with it (no lock held); the id is withdrawn if that throws.
     */
    void submit(ContextState c, long fence, java.util.function.LongConsumer toDriver) {
        long id = give(c.node, c.gpu, new Entry(c, fence));
        try {
            toDriver.accept(id);
        } catch (RuntimeException e) {
            withdraw(c.node, c.gpu, id);
            throw e;
        }
    }

    /** The paging node's (COPY of GPU 0) next id, given for paging fence {@code value}. */
    long paging(long value) {
        return give(EngineNode.COPY, 0, new Entry(null, value));
    }

    /** The driver refused what {@code id} was given for: it is not outstanding. */
    synchronized void withdraw(EngineNode node, int gpu, long id) {
        Timeline t = nodes.get(new Node(node, gpu));
        if (t != null) {
            t.given.remove(id);
        }
    }

    /**
     * DMA_COMPLETED of {@code id} on {@code node} of {@code gpu}: what it was given for, taken (with
     * the earlier ids of the same context, which completed before it), or null for an id that is not
     * outstanding (never given, dropped by a reset, or reported already).
     */
    synchronized Entry completed(EngineNode node, int gpu, long id) {
        Timeline t = nodes.get(new Node(node, gpu));
        Entry e = t == null ? null : t.given.remove(id);
        if (e != null && e.context() != null) {
            t.given.headMap(id).values().removeIf(x -> x.context() == e.context());
        }
        return e;
    }

    /** What {@code id} was given for, left outstanding (a fault names it), or null. */
    synchronized Entry of(EngineNode node, int gpu, long id) {
        Timeline t = nodes.get(new Node(node, gpu));
        return t == null ? null : t.given.get(id);
    }

    /** An engine reset dropped the queued work of {@code node} on every GPU: its ids are not outstanding any more. */
    synchronized void reset(EngineNode node) {
        nodes.forEach((k, t) -> {
            if (k.node() == node) {
                t.given.clear();
            }
        });
    }

    /** The adapter was reset or its driver changed: no id is outstanding. */
    synchronized void resetAll() {
        nodes.values().forEach(t -> t.given.clear());
    }
}
