package trace.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.osgi.service.event.Event;

/**
 * The events of one trace, in a ring buffer of bounded size: when it is full the oldest event goes
 * and is counted as dropped. Thread safe (Event Admin delivers from its own threads).
 */
final class TraceRecorder {
    /** One recorded event: its topic, when it happened ({@code System.nanoTime()}), its properties. */
    record Entry(String topic, long nanos, Map<String, Object> properties) {
    }

    static final String NANOS = "nanos";

    private final int capacity;
    private final ArrayDeque<Entry> ring;
    private final long startNanos = System.nanoTime();
    private long dropped;
    private long lastAdd = System.nanoTime();

    TraceRecorder(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a trace buffer holds at least 1 event, not " + capacity);
        }
        this.capacity = capacity;
        this.ring = new ArrayDeque<>(Math.min(capacity, 1 << 16));
    }

    long startNanos() {
        return startNanos;
    }

    /** The topic of the marker a stop posts after the events it must not miss. */
    static final String MARKER = "trace/MARKER";
    static final String MARKER_ID = "trace.marker";

    /** The newest marker id that arrived (ids only grow: a stop's {@code System.nanoTime()}). */
    private long marker = Long.MIN_VALUE;

    void add(Event event) {
        if (MARKER.equals(event.getTopic())) {
            marked((Long) event.getProperty(MARKER_ID));
            return;
        }
        Map<String, Object> properties = new HashMap<>();
        for (String name : event.getPropertyNames()) {
            properties.put(name, event.getProperty(name));
        }
        add(event.getTopic(), properties);
    }

    /** Records an event; its time is its {@code nanos} property, or now. */
    synchronized void add(String topic, Map<String, Object> properties) {
        Object nanos = properties.get(NANOS);
        Entry entry = new Entry(topic, nanos instanceof Long n ? n : System.nanoTime(), properties);
        if (ring.size() == capacity) {
            ring.removeFirst();
            dropped++;
        }
        ring.addLast(entry);
        lastAdd = System.nanoTime();
        notifyAll();
    }

    private synchronized void marked(long id) {
        marker = Math.max(marker, id);
        notifyAll();
    }

    /**
     * Waits (at most {@code maxMillis}) until marker {@code id}, posted after the events of the
     * stopping thread, arrived: Event Admin delivers a thread's posts in order, so those events are
     * in then. (A marker of an earlier, failed stop does not count.)
     */
    synchronized void awaitMarker(long id, long maxMillis) throws InterruptedException {
        long deadline = System.nanoTime() + maxMillis * 1_000_000L;
        while (marker < id) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            wait(Math.max(1, left / 1_000_000L));
        }
    }

    /**
     * Waits until no event has arrived for {@code quietMillis} (Event Admin delivers asynchronously,
     * so events that happened just before a stop may still be on their way), at most {@code maxMillis}.
     */
    synchronized void awaitQuiet(long quietMillis, long maxMillis) throws InterruptedException {
        long deadline = System.nanoTime() + maxMillis * 1_000_000L;
        while (true) {
            long quietUntil = lastAdd + quietMillis * 1_000_000L;
            long now = System.nanoTime();
            if (now >= quietUntil || now >= deadline) {
                return;
            }
            long waitNanos = Math.min(quietUntil, deadline) - now;
            wait(Math.max(1, waitNanos / 1_000_000L));
        }
    }

    synchronized List<Entry> entries() {
        return new ArrayList<>(ring);
    }

    synchronized long dropped() {
        return dropped;
    }
}
