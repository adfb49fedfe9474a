package vidmm.internal;

import java.util.List;
import java.util.Map;

import kmd.api.DisplayDriver;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * The change of one adapter's driver: when the seat ({@link DriverSeat}) should hold another
 * driver, quiesce the old context, detach it and attach the new one (AddDevice, start, the replay
 * of every object to it). A change ({@link #reconsider}) waits for the old driver's work and for the
 * replay's aperture maps without the adapter's locks, while every context's new submissions are held
 * behind the change.
 */
final class AdapterDrivers {
    /** How long a change waits for the going driver's work before its devices are put in error. */
    static final long QUIESCE_MILLIS = 2000;
    /** How long a call that needs the driver waits for a change in progress before it gives up. */
    private static final long SETTLE_MILLIS = 30_000;

    private final AdapterState a;
    private final DriverSeat seat;
    private final DriverHooks hooks;
    /**
     * The gate of a driver change in progress, or null: every context's stream waits behind it (its
     * new submissions are held, not given to the going driver) until it reaches 1 at the change's end.
     */
    private volatile SyncObjectState changing;

    AdapterDrivers(AdapterState adapter, DriverSeat seat, DriverHooks hooks) {
        this.a = adapter;
        this.seat = seat;
        this.hooks = hooks;
    }

    /**
     * The attached driver made a context, which it knows as {@code kmdHandle} (its interrupts name
     * it so); during a change its submissions are held behind the change as every other context's.
     */
    void contextCreated(ContextState c, long kmdHandle) {
        seat.handles().put(c, kmdHandle);
        SyncObjectState gate = changing;
        if (gate != null) {
            c.holdFirst(gate, 1); // given to the driver by the change's end (reconsider)
        }
    }

    void contextGone(ContextState c) {
        DriverHandles h = seat.handles();
        if (h != null) {
            h.remove(c);
        }
    }

    /** A driver service arrived: ask it how well it matches this adapter, and attach it if it is now the best. */
    void add(DisplayDriver driver, Map<String, Object> properties) {
        DriverCandidates.Offer offer = DriverCandidates.offer(driver, properties, a.identity()); // its match, without the locks
        try (AdapterState.Held held = a.change()) {
            seat.addLocked(offer);
        }
        reconsider();
    }

    /** A driver service is going (its bundle stops): if attached here, the adapter moves to the next best first. */
    void remove(DisplayDriver driver) {
        try (AdapterState.Held held = a.change()) {
            seat.removeLocked(driver);
        }
        reconsider();
    }

    /** Whether a driver change is in progress: new submissions are held behind it. */
    boolean changing() {
        return changing != null;
    }

    /**
     * Runs {@code call} under the lock once no driver change is in progress: a change ({@link
     * #reconsider}) is waited for without the lock. For calls the going driver would
     * refuse during its exclusive access (paging operations).
     */
    <T> T settled(java.util.function.Supplier<T> call) {
        while (true) {
            awaitSettled();
            try (AdapterState.Held held = a.change()) {
                if (!changing()) {
                    return call.get();
                }
            }
        }
    }

    /**
     * Waits, without the adapter's lock, until no driver change is in progress; throws
     * ADAPTER_NOT_STARTED if one takes longer than thirty seconds.
     */
    void awaitSettled() {
        SyncObjectState gate = changing;
        if (gate == null) {
            return;
        }
        try {
            if (gate.await(1, SETTLE_MILLIS) == vidmm.FenceWait.TIMED_OUT) {
                throw new VidMmException(VidMmStatus.ADAPTER_NOT_STARTED, "adapter " + a.index
                        + " is still changing drivers after " + SETTLE_MILLIS / 1000 + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VidMmException(VidMmStatus.ADAPTER_NOT_STARTED, "interrupted waiting for adapter " + a.index
                    + "'s driver change");
        }
    }

    /**
     * Attaches the best driver if it is not the attached one, replaying every live object to it.
     * Called without the adapter's lock: the change holds every context's new submissions behind a
     * gate, waits without the lock (up to two seconds) for what the going driver was given, then,
     * under the lock, puts devices whose work did not finish in error, detaches the old driver and
     * attaches the new one; the replay's aperture maps are waited for without the lock again, and
     * only then is the gate opened and the held submissions given to the new driver, in the same hold
     * of the lock. A change in progress on another thread is waited for, and the choice made again
     * after it.
     */
    void reconsider() {
        while (true) {
            SyncObjectState gate;
            List<ContextState> going = null;
            try (AdapterState.Held held = a.change()) {
                gate = changing;
                if (gate == null) {
                    if (!seat.changeDueLocked()) {
                        return;
                    }
                    gate = new SyncObjectState(0, 0, 0);
                    changing = gate;
                    going = beginChangeLocked(gate);
                }
            }
            if (going == null) {
                awaitSettled(); // another thread's change
                continue;
            }
            try {
                awaitGiven(going, System.nanoTime() + QUIESCE_MILLIS * 1_000_000L); // without the lock
                try (AdapterState.Held held = a.change()) {
                    finishChangeLocked();
                }
                seat.settleReplay();
            } finally {
                try (AdapterState.Held held = a.change()) {
                    changing = null;
                    if (seat.endExclusiveLocked(false)) { // the change ended before finishChangeLocked: what waited for it is dropped
                        hooks.resubmitDueLocked(false); // their fences time out (TDR) rather than run twice
                    }
                    gate.signalled(1);
                    // what each context held goes to the new driver now, in order, before the lock goes: a
                    // change right after this one cannot keep it held (and its clock running) for long
                    for (ContextState c : a.contexts.values()) {
                        hooks.releaseHeldLocked(c);
                    }
                }
            }
        }
    }

    /**
     * A driver change waits, without the adapter's lock, until the deadline at most, for what the
     * going driver was given by {@code contexts} (their held submissions go to the next driver).
     */
    private static void awaitGiven(List<ContextState> contexts, long deadlineNanos) {
        for (ContextState c : contexts) {
            try {
                c.awaitGiven(deadlineNanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return; // what is left is put in error at once
            }
        }
    }

    /**
     * Starts a change: the going driver (if any) gets exclusive access, and every context's stream
     * waits behind {@code gate}. Returns the contexts whose given work is to be waited for.
     */
    private List<ContextState> beginChangeLocked(SyncObjectState gate) {
        boolean attached = seat.beginExclusiveLocked();
        for (ContextState c : a.contexts.values()) {
            c.holdFirst(gate, 1);
        }
        return attached ? List.copyOf(a.contexts.values()) : List.of();
    }

    /**
     * Ends a change under the lock, waiting for nothing: devices whose given work did not finish are
     * put in error (it cannot finish on a driver that is going), the old driver is detached, the best
     * one attached. With no driver after it, devices with held work are put in error too.
     */
    private void finishChangeLocked() {
        boolean due = seat.changeDueLocked();
        seat.endExclusiveLocked(!due && !a.stopped); // called off meanwhile: the driver stays, and works again
        if (a.stopped) {
            return; // stop() detaches what is attached
        }
        if (seat.attached() != null && due) {
            for (DeviceState d : a.devices.values()) {
                if (!d.givenIdle()) {
                    d.fault();
                }
            }
            hooks.resubmitDueLocked(false); // their devices are in error: nothing to give again
            seat.detachLocked();
        } else if (seat.attached() != null) {
            hooks.resubmitDueLocked(true); // what resets dropped during the change
            hooks.unmapDueLocked(); // what was released during the change
        }
        if (seat.attached() == null) {
            seat.attachBestLocked();
        }
        if (seat.attached() == null) {
            for (DeviceState d : a.devices.values()) {
                if (!d.idle()) {
                    d.fault(); // what it submitted during the change has no driver to run on
                }
            }
        }
    }

    /**
     * Forgets why the present drivers that matched were given up, then attaches the best (outside
     * the lock, as any change); returns how many refusals were forgotten.
     */
    int retry() {
        int forgotten;
        try (AdapterState.Held held = a.change()) {
            forgotten = seat.forgetRefusalsLocked();
        }
        reconsider();
        return forgotten;
    }

    /** Takes the adapter from its drivers for {@code holder}: the attached one is detached, none attaches until {@link #release}. */
    void hold(String holder) {
        try (AdapterState.Held held = a.change()) {
            seat.holdLocked(holder);
        }
        reconsider();
    }

    /** Gives the adapter back to its drivers: the best match is attached again, with every live object replayed. */
    void release() {
        try (AdapterState.Held held = a.change()) {
            seat.releaseLocked();
        }
        reconsider();
    }
}
