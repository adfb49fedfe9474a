package vidmm.internal;

import java.util.List;
import java.util.Map;

import kmd.api.DisplayDriver;
import kmd.api.KernelModeDriver;
import kmd.api.VidPnSourceMode;
import vidmm.AdapterStatus;
import vidmm.DriverBinding;
import vidmm.internal.DriverCandidates.Candidate;
import vidmm.VidMmEvents;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

import static vidmm.internal.Calls.quietly;

/**
 * Which driver drives one adapter (OSGi Device Access order: match score, ranking, service id), and
 * the change of driver: quiesce the old context, detach it and attach the new one ({@link
 * Attachments}: AddDevice, start, the replay of every object to it). A change ({@link #reconsider})
 * waits for the old driver's work and for the replay's aperture maps without the adapter's locks,
 * while every context's new submissions are held behind the change.
 */
final class AdapterDrivers {
    /** An attachment whose replayed aperture maps were issued up to paging fence {@code fence}, not yet seen completed. */
    private record Replay(Attachments.Attachment made, long fence) {
    }

    /** How long a change waits for the going driver's work before its devices are put in error. */
    static final long QUIESCE_MILLIS = 2000;
    /** How long a replay's aperture maps may take before the new driver is given up. */
    static final long REPLAY_MILLIS = 5000;
    /** How long a call that needs the driver waits for a change in progress before it gives up. */
    private static final long SETTLE_MILLIS = 30_000;

    private final AdapterState a;
    private final PagingFence pagingFence;
    private final DriverHooks hooks;
    private final Attachments attachments;
    private final DriverCandidates candidates = new DriverCandidates();
    /** Who holds the adapter ({@link vidmm.VidMm#hold}): no driver is attached while set. */
    private String heldBy;
    /**
     * The gate of a driver change in progress, or null: every context's stream waits behind it (its
     * new submissions are held, not given to the going driver) until it reaches 1 at the change's end.
     */
    private volatile SyncObjectState changing;
    /** The last attachment's replay while its aperture maps are in flight, or null. */
    private Replay replaying;
    /** Whether VidMm holds the attached driver's exclusive access for a change: no paging operation may be issued. */
    private boolean exclusive;
    /** The adapter's status: whether a driver is attached, which, and what it reported (or why none is). */
    private volatile AdapterStatus status;

    AdapterDrivers(AdapterState adapter, PagingFence pagingFence, DriverHooks hooks) {
        this.a = adapter;
        this.pagingFence = pagingFence;
        this.hooks = hooks;
        this.attachments = new Attachments(adapter, pagingFence, hooks);
        this.status = adapter.noDriver();
    }

    AdapterStatus status() {
        return status;
    }

    ApertureSpace aperture() {
        return attachments.aperture();
    }

    List<VidPnSourceMode> sourceModes() {
        return attachments.sourceModes();
    }

    /** The context the attached driver knows as {@code kmdHandle}, or null. */
    ContextState contextOf(long kmdHandle) {
        Attachments.Attachment now = attachments.current();
        return now == null ? null : now.handles().context(kmdHandle);
    }

    /** The attached driver's handles of VidMm's objects, or null when none is attached. */
    DriverHandles handles() {
        Attachments.Attachment now = attachments.current();
        return now == null ? null : now.handles();
    }

    /**
     * The attached driver made a context, which it knows as {@code kmdHandle} (its interrupts name
     * it so); during a change its submissions are held behind the change as every other context's.
     */
    void contextCreated(ContextState c, long kmdHandle) {
        attachments.current().handles().put(c, kmdHandle);
        SyncObjectState gate = changing;
        if (gate != null) {
            c.holdFirst(gate, 1); // given to the driver by the change's end (reconsider)
        }
    }

    void contextGone(ContextState c) {
        Attachments.Attachment now = attachments.current();
        if (now != null) {
            now.handles().remove(c);
        }
    }

    /** A driver service arrived: ask it how well it matches this adapter, and attach it if it is now the best. */
    void add(DisplayDriver driver, Map<String, Object> properties) {
        DriverCandidates.Offer offer = DriverCandidates.offer(driver, properties, a.identity()); // its match, without the locks
        try (AdapterState.Held held = a.change()) {
            candidates.add(offer);
        }
        reconsider();
    }

    /** A driver service is going (its bundle stops): if attached here, the adapter moves to the next best first. */
    void remove(DisplayDriver driver) {
        try (AdapterState.Held held = a.change()) {
            candidates.remove(driver);
        }
        reconsider();
    }

    List<DriverBinding> bindings() {
        try (AdapterState.Held held = a.read()) {
            return candidates.bindings(a.index, a.identity(), attached());
        }
    }

    /** The driver to attach: the best candidate; none while the adapter is held or stopped. */
    private Candidate best() {
        return heldBy != null || a.stopped ? null : candidates.best();
    }

    /** The attached candidate, or null. */
    Candidate attached() {
        Attachments.Attachment now = attachments.current();
        return now == null ? null : now.candidate();
    }

    /** The attached context as VidMm calls it (through {@link DdiTracing}), or null. */
    KernelModeDriver kmd() {
        Attachments.Attachment now = attachments.current();
        return now == null ? null : now.kmd();
    }

    /** Whether {@code g} guards the attached context (a hang report about an earlier one is stale). */
    boolean guards(DdiGuard g) {
        Attachments.Attachment now = attachments.current();
        return g != null && now != null && g == now.guard();
    }

    /** Whether {@code c}'s service is still there (so that it may be started again). */
    boolean present(Candidate c) {
        return candidates.present(c);
    }

    /**
     * Gives the attached driver up on this adapter: it is refused (kmd:list says why) until its service
     * comes again or {@link #retry}, detached, and the next best is attached with a replay. A hung
     * driver is not called again (its DDIs fail at once), so the adapter's PCI function is reset
     * instead: nothing it queued runs on, and the hardware no longer names it. Returns the driver given up.
     */
    Candidate giveUpLocked(String why, boolean hung) {
        Candidate given = attached();
        refuseLocked(given, why);
        detachLocked();
        if (hung) {
            a.unlocked(() -> { // the hardware's reset may wait for its engines: not under the bookkeeping lock
                quietly(a.gpu::resetFunction);
                return null;
            });
        }
        attachBestLocked();
        return given;
    }

    /** Refuses a driver on this adapter until its service comes again (or {@link #retry}). */
    private void refuseLocked(Candidate c, String why) {
        candidates.refuse(c, why);
        a.post(VidMmEvents.DRIVER_REFUSED, () -> VidMmEventProperties.driver(c.name(), c.serviceId(), why));
    }

    /** Whether a driver change is in progress: new submissions are held behind it. */
    boolean changing() {
        return changing != null;
    }

    /** Whether VidMm holds the attached driver's exclusive access (a change waits for its work): it may not be asked to page. */
    boolean exclusiveLocked() {
        return exclusive;
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

    /** Refuses a call that needs a driver while none is attached, naming why. */
    void requireStarted() {
        AdapterStatus s = status;
        if (s.state() != AdapterStatus.State.STARTED) {
            throw new VidMmException(VidMmStatus.ADAPTER_NOT_STARTED, "adapter " + a.index + " is not started: " + s.reason());
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
                    if (!changeDueLocked()) {
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
                settleReplay();
            } finally {
                try (AdapterState.Held held = a.change()) {
                    changing = null;
                    if (exclusive) { // the change ended before finishChangeLocked: what waited for it is dropped
                        exclusive = false;
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

    /** Whether the attached driver is not the one to attach. */
    private boolean changeDueLocked() {
        Candidate best = best();
        Attachments.Attachment now = attachments.current();
        return now == null ? best != null : best == null || best.driver() != now.candidate().driver();
    }

    /**
     * Starts a change: the going driver (if any) gets exclusive access, and every context's stream
     * waits behind {@code gate}. Returns the contexts whose given work is to be waited for.
     */
    private List<ContextState> beginChangeLocked(SyncObjectState gate) {
        Attachments.Attachment now = attachments.current();
        if (now != null) {
            quietly(now.kmd()::beginExclusiveAccess);
            exclusive = true;
        }
        for (ContextState c : a.contexts.values()) {
            c.holdFirst(gate, 1);
        }
        return now == null ? List.of() : List.copyOf(a.contexts.values());
    }

    /**
     * Ends a change under the lock, waiting for nothing: devices whose given work did not finish are
     * put in error (it cannot finish on a driver that is going), the old driver is detached, the best
     * one attached. With no driver after it, devices with held work are put in error too.
     */
    private void finishChangeLocked() {
        exclusive = false;
        if (a.stopped) {
            return; // stop() detaches what is attached
        }
        Attachments.Attachment attachment = attachments.current();
        if (attachment != null && changeDueLocked()) {
            for (DeviceState d : a.devices.values()) {
                if (!d.givenIdle()) {
                    d.fault();
                }
            }
            hooks.resubmitDueLocked(false); // their devices are in error: nothing to give again
            detachLocked();
        } else if (attachment != null) {
            quietly(attachment.kmd()::endExclusiveAccess); // called off meanwhile: the driver stays, and works again
            hooks.resubmitDueLocked(true); // what resets dropped during the change
            hooks.unmapDueLocked(); // what was released during the change
        }
        if (attachments.current() == null) {
            attachBestLocked();
        }
        if (attachments.current() == null) {
            for (DeviceState d : a.devices.values()) {
                if (!d.idle()) {
                    d.fault(); // what it submitted during the change has no driver to run on
                }
            }
        }
    }

    /** Attaches the best candidate while none is attached, refusing each that fails to attach. */
    void attachBestLocked() {
        Candidate best = best();
        while (best != null && attachments.current() == null) {
            String refusal = attachLocked(best);
            if (refusal == null) {
                return;
            }
            refusedLocked(best, refusal);
            best = best();
        }
        if (attachments.current() == null && status.state() == AdapterStatus.State.STARTED) {
            status = idleStatus();
        }
    }

    /** {@code c} failed to attach: refused until its service comes again; the status says why. */
    private void refusedLocked(Candidate c, String refusal) {
        refuseLocked(c, refusal);
        status = new AdapterStatus(a.index, a.iommuUnit, AdapterStatus.State.REFUSED, null, c.name() + ": " + refusal,
                status.info());
    }

    private AdapterStatus idleStatus() {
        return heldBy == null ? a.noDriver() : new AdapterStatus(a.index, a.iommuUnit, AdapterStatus.State.STOPPED, null,
                "held by " + heldBy + ": no kernel-mode driver is attached", null);
    }

    /**
     * Waits, without the lock, for the last attachment's replayed aperture maps, then points the
     * displayed sources at them; a driver whose maps do not complete within five seconds is given up
     * and the next best attached (and waited for in turn). Whoever attached calls it after letting
     * the lock go.
     */
    void settleReplay() {
        while (true) {
            Replay r;
            try (AdapterState.Held held = a.read()) {
                r = replaying;
            }
            if (r == null) {
                return;
            }
            VidMmException late = null;
            try {
                pagingFence.await(r.fence(), "MapApertureSegment", REPLAY_MILLIS);
            } catch (VidMmException e) {
                late = e;
            }
            try (AdapterState.Held held = a.change()) {
                if (replaying != r) {
                    continue; // another attachment replayed meanwhile
                }
                replaying = null;
                if (attachments.current() != r.made()) {
                    continue; // detached meanwhile
                }
                if (late == null) {
                    try {
                        hooks.pointReplayedLocked();
                        continue;
                    } catch (VidMmException e) {
                        late = e;
                    }
                }
                giveUpLocked("replaying VidMm's state failed: " + late.getMessage(), false);
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
            forgotten = candidates.forgetRefusals();
        }
        reconsider();
        return forgotten;
    }

    /** Takes the adapter from its drivers for {@code holder}: the attached one is detached, none attaches until {@link #release}. */
    void hold(String holder) {
        try (AdapterState.Held held = a.change()) {
            if (heldBy != null) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "adapter " + a.index + " is already held by " + heldBy);
            }
            if (a.stopped) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "adapter " + a.index + " is stopped");
            }
            heldBy = holder;
            if (attachments.current() == null) {
                status = idleStatus();
            }
        }
        reconsider();
    }

    /** Gives the adapter back to its drivers: the best match is attached again, with every live object replayed. */
    void release() {
        try (AdapterState.Held held = a.change()) {
            heldBy = null;
            if (attachments.current() == null) {
                status = idleStatus();
            }
        }
        reconsider();
    }
    /**
     * Detaches the attached driver (whose work the caller waited for or gave up): exclusive access,
     * then StopDevice and RemoveDevice ({@link Attachments#detach}). Processes keep their memory.
     */
    void detachLocked() {
        detachLocked(null);
    }

    /** As {@link #detachLocked()}, running {@code afterStop} with the stopped context before it is removed. */
    void detachLocked(java.util.function.Consumer<KernelModeDriver> afterStop) {
        replaying = null;
        Candidate was = attachments.detach(afterStop).candidate();
        a.post(VidMmEvents.DRIVER_DETACHED, () -> VidMmEventProperties.driver(was.name(), was.serviceId(), null));
        status = idleStatus();
    }

    /**
     * Attaches {@code c} ({@link Attachments#attach}), waiting for nothing: the replay's aperture maps
     * are confirmed by {@link #settleReplay}. Returns null when attached, or why it was refused.
     */
    String attachLocked(Candidate c) {
        Attachments.Attached done = attachments.attach(c);
        if (done.refusal() != null) {
            return done.refusal();
        }
        replaying = done.replayFence() == 0 ? null : new Replay(attachments.current(), done.replayFence());
        status = new AdapterStatus(a.index, a.iommuUnit, AdapterStatus.State.STARTED, AdapterStatus.AddressingModel.IOMMU,
                null, done.info());
        hooks.attached();
        hooks.unmapDueLocked(); // what the last driver could not unmap, this one does
        a.post(VidMmEvents.DRIVER_ATTACHED, () -> VidMmEventProperties.driver(c.name(), c.serviceId(), null));
        return null;
    }
}
