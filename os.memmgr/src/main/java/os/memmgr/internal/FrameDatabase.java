package os.memmgr.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.HashMap;
import java.util.Map;

import iommu.hw.SystemMemory;
import os.memmgr.FrameCounts;
import os.memmgr.MemoryException;
import os.memmgr.Status;

/**
 * The PFN database: the state of every frame, allocation and freeing, and pin counts.
 *
 * <p>Frame 0 is reserved. Freed frames are zeroed (their host memory given back) and reused last in,
 * first out, so that a stale translation would meet another owner's data at once. A frame freed
 * while pinned stays allocated until its last unpin. Freed frames are zeroed outside the monitor, so
 * that an unmap of many pages does not hold up other processes' allocations while it zeroes.
 */
final class FrameDatabase {
    private static final VarHandle FREE_FRAMES;

    static {
        try {
            FREE_FRAMES = MethodHandles.lookup().findVarHandle(FrameDatabase.class, "freeFrames", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** State.values(), made once: values() copies the array at every call. */
    private static final State[] STATES = State.values();
    enum State { FREE, PRIVATE, SHARED, PAGE_TABLE, RESERVED, TRANSITION, IOMMU_TABLE }

    private final SystemMemory memory;
    private final byte[] states;
    private final long[] counts = new long[State.values().length];
    private final Map<Long, Integer> pins = new HashMap<>();
    /** Pinned frames whose owner already freed them. */
    private final Map<Long, Boolean> freeOnUnpin = new HashMap<>();
    private long[] freeStack = new long[1024];
    private int freeTop;
    private long neverUsed;
    /** {@code counts[FREE]}, written under the monitor and read without it ({@link #freeFrames}). */
    private long freeFrames;

    FrameDatabase(SystemMemory memory) {
        this.memory = memory;
        long total = memory.frameCount();
        this.states = new byte[(int) total];
        states[0] = (byte) State.RESERVED.ordinal();
        counts[State.RESERVED.ordinal()] = 1;
        counts[State.FREE.ordinal()] = total - 1;
        freeFrames = total - 1;
        neverUsed = 1;
    }

    synchronized long allocate(State state) {
        if (state == State.FREE || state == State.RESERVED || state == State.TRANSITION) {
            throw new IllegalArgumentException("cannot allocate a frame as " + state);
        }
        long frame = -1;
        while (freeTop > 0) {
            long candidate = freeStack[--freeTop];
            if (state(candidate) == State.FREE) { // a contiguous allocation may have taken it meanwhile
                frame = candidate;
                break;
            }
        }
        if (frame >= 0) {
            // from the free stack
        } else if (neverUsed < states.length) {
            frame = neverUsed++;
        } else {
            throw new MemoryException(Status.NO_MEMORY, "no free frame left in " + states.length + " frames");
        }
        move(frame, State.FREE, state);
        return frame;
    }

    /**
     * {@code count} free frames in a row, the first a multiple of {@code count} (a large page: physically
     * contiguous and aligned; or a table an IOMMU reads as one), as {@code state}; returns the first, or
     * -1 when no such run is free. Nothing is trimmed to make one.
     */
    synchronized long allocateContiguous(int count, State state) {
        if ((state != State.PRIVATE && state != State.IOMMU_TABLE) || Integer.bitCount(count) != 1) {
            throw new IllegalArgumentException("contiguous frames are private or an IOMMU's table, a power of two in number");
        }
        for (long first = count; first + count <= states.length; first += count) {
            boolean free = true;
            for (long f = first + count - 1; f >= first; f--) {
                if (states[(int) f] != (byte) State.FREE.ordinal()) {
                    free = false;
                    break;
                }
            }
            if (free) {
                for (long f = first; f < first + count; f++) {
                    move(f, State.FREE, state);
                }
                if (first + count > neverUsed) { // never-used frames skipped below the run go to the free stack
                    for (long f = neverUsed; f < first; f++) {
                        push(f);
                    }
                    neverUsed = first + count;
                }
                return first;
            }
        }
        return -1;
    }

    /** Frees a frame its owner no longer maps (after the IOMMU was invalidated for it). */
    void free(long frame) {
        free(new long[] {frame}, 1);
    }

    /**
     * Frees the first {@code count} frames of {@code frames}, which their owner no longer maps (after the
     * IOMMU was invalidated for them): a pinned one when its last pin goes, the others now. The frames
     * are checked and the pinned ones set aside under the monitor, zeroed outside it, then made free
     * under it again; the array's order is not kept.
     *
     * @throws IllegalStateException if one of them is already free or reserved (nothing is freed then)
     */
    void free(long[] frames, int count) {
        int unpinned = claim(frames, count);
        for (int i = 0; i < unpinned; i++) {
            memory.zeroFrame(frames[i]); // still its owner's state: nothing else takes it meanwhile
        }
        synchronized (this) {
            for (int i = 0; i < unpinned; i++) {
                move(frames[i], state(frames[i]), State.FREE);
                push(frames[i]);
            }
        }
    }

    /**
     * Checks {@code frames[0..count)} for {@link #free(long[], int)} and sets the pinned ones aside to be
     * freed on their last unpin; moves the others to the front and returns how many they are.
     */
    private synchronized int claim(long[] frames, int count) {
        for (int i = 0; i < count; i++) {
            State state = state(frames[i]);
            if (state == State.FREE || state == State.RESERVED) {
                throw new IllegalStateException("frame " + frames[i] + " is " + state + ", cannot be freed");
            }
        }
        int unpinned = 0;
        for (int i = 0; i < count; i++) {
            if (isPinned(frames[i])) {
                freeOnUnpin.put(frames[i], Boolean.TRUE);
            } else {
                frames[unpinned++] = frames[i];
            }
        }
        return unpinned;
    }

    private void release(long frame, State state) {
        memory.zeroFrame(frame);
        move(frame, state, State.FREE);
        push(frame);
    }

    private void push(long frame) {
        if (freeTop == freeStack.length) {
            freeStack = java.util.Arrays.copyOf(freeStack, freeTop * 2);
        }
        freeStack[freeTop++] = frame;
    }

    synchronized void pin(long frame) {
        State state = state(frame);
        if (state != State.PRIVATE && state != State.SHARED) {
            throw new IllegalStateException("frame " + frame + " is " + state + ", cannot be pinned");
        }
        pins.merge(frame, 1, Integer::sum);
    }

    synchronized void unpin(long frame) {
        Integer n = pins.get(frame);
        if (n == null) {
            throw new IllegalStateException("frame " + frame + " is not pinned");
        }
        if (n > 1) {
            pins.put(frame, n - 1);
            return;
        }
        pins.remove(frame);
        if (freeOnUnpin.remove(frame) != null) {
            release(frame, state(frame));
        }
    }

    synchronized boolean isPinned(long frame) {
        return !pins.isEmpty() && pins.containsKey(frame); // no boxing while nothing is pinned
    }

    /** A private frame starts leaving its working set (its PTE is TRANSITION). */
    synchronized void transition(long frame) {
        State state = state(frame);
        if (state != State.PRIVATE || pins.containsKey(frame)) {
            throw new IllegalStateException("frame " + frame + " is " + state + (pins.containsKey(frame) ? ", pinned" : "")
                    + ", it cannot be paged out");
        }
        move(frame, State.PRIVATE, State.TRANSITION);
    }

    /** A page-out did not happen: the frame is mapped again. */
    synchronized void untransition(long frame) {
        if (state(frame) != State.TRANSITION) {
            throw new IllegalStateException("frame " + frame + " is " + state(frame) + ", not in transition");
        }
        move(frame, State.TRANSITION, State.PRIVATE);
    }

    /** Free frames now, read without the monitor (an allocation's check against the low-water mark). */
    long freeFrames() {
        return (long) FREE_FRAMES.getOpaque(this);
    }

    synchronized State state(long frame) {
        return STATES[states[(int) frame]];
    }

    private void move(long frame, State from, State to) {
        states[(int) frame] = (byte) to.ordinal();
        counts[from.ordinal()]--;
        counts[to.ordinal()]++;
        if (from == State.FREE || to == State.FREE) {
            FREE_FRAMES.setOpaque(this, counts[State.FREE.ordinal()]);
        }
    }

    synchronized FrameCounts counts() {
        return new FrameCounts(states.length, counts[State.FREE.ordinal()], counts[State.PRIVATE.ordinal()],
                counts[State.SHARED.ordinal()], counts[State.PAGE_TABLE.ordinal()], counts[State.IOMMU_TABLE.ordinal()],
                counts[State.RESERVED.ordinal()], pins.size(), counts[State.TRANSITION.ordinal()]);
    }
}
