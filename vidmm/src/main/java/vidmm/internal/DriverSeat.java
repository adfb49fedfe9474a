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

/**
 * Who sits in one adapter's driver seat: the drivers that match it (OSGi Device Access order:
 * match score, ranking, service id), the attached one ({@link Attachments}), who holds the adapter
 * instead, and the adapter's status. It attaches, detaches and gives up drivers; when to change the
 * driver, and how the work in flight gets across, is {@link AdapterDrivers}'. Methods named
 * {@code ...Locked} are called in a change (the adapter's call order and bookkeeping lock held).
 */
final class DriverSeat {
    /** An attachment whose replayed aperture maps were issued up to paging fence {@code fence}, not yet seen completed. */
    private record Replay(Attachments.Attachment made, long fence) {
    }

    /** How long a replay's aperture maps may take before the new driver is given up. */
    static final long REPLAY_MILLIS = 5000;

    private final AdapterState a;
    private final PagingFence pagingFence;
    private final DriverHooks hooks;
    private final Attachments attachments;
    private final DriverCandidates candidates = new DriverCandidates();
    /** Who holds the adapter ({@link vidmm.VidMm#hold}): no driver is attached while set. */
    private String heldBy;
    /** The last attachment's replay while its aperture maps are in flight, or null. */
    private Replay replaying;
    /** Whether VidMm holds the attached driver's exclusive access for a change: no paging operation may be issued. */
    private boolean exclusive;
    /** The adapter's status: whether a driver is attached, which, and what it reported (or why none is). */
    private volatile AdapterStatus status;

    DriverSeat(AdapterState adapter, PagingFence pagingFence, DriverHooks hooks) {
        this.a = adapter;
        this.pagingFence = pagingFence;
        this.hooks = hooks;
        this.attachments = new Attachments(adapter, pagingFence, hooks);
        this.status = adapter.noDriver();
    }

    AdapterStatus status() {
        return status;
    }

    /** Refuses a call that needs a driver while none is attached, naming why. */
    void requireStarted() {
        AdapterStatus s = status;
        if (s.state() != AdapterStatus.State.STARTED) {
            throw new VidMmException(VidMmStatus.ADAPTER_NOT_STARTED, "adapter " + a.index + " is not started: " + s.reason());
        }
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

    /** A driver service arrived with its match (made without the locks). */
    void addLocked(DriverCandidates.Offer offer) {
        candidates.add(offer);
    }

    /** A driver service is going (its bundle stops). */
    void removeLocked(DisplayDriver driver) {
        candidates.remove(driver);
    }

    /** Forgets why the present drivers that matched were given up; returns how many refusals were forgotten. */
    int forgetRefusalsLocked() {
        return candidates.forgetRefusals();
    }

    List<DriverBinding> bindings() {
        try (AdapterState.Held held = a.read()) {
            return candidates.bindings(a.index, a.identity(), attached());
        }
    }

    /** Whether the attached driver is not the one to attach: the best candidate, none while held or stopped. */
    boolean changeDueLocked() {
        Candidate best = best();
        Attachments.Attachment now = attachments.current();
        return now == null ? best != null : best == null || best.driver() != now.candidate().driver();
    }

    private Candidate best() {
        return heldBy != null || a.stopped ? null : candidates.best();
    }

    /** Whether VidMm holds the attached driver's exclusive access (a change waits for its work): it may not be asked to page. */
    boolean exclusiveLocked() {
        return exclusive;
    }

    /** VidMm takes the attached driver's exclusive access (DxgkDdiBeginExclusiveAccess), if one is attached. */
    boolean beginExclusiveLocked() {
        KernelModeDriver kmd = kmd();
        if (kmd != null) {
            Calls.quietly(kmd::beginExclusiveAccess);
            exclusive = true;
        }
        return kmd != null;
    }

    /**
     * Ends VidMm's exclusive access: with {@code giveBack}, the attached driver is told
     * (DxgkDdiEndExclusiveAccess) and works on; else it is going and is not called again.
     * Returns whether the access was held.
     */
    boolean endExclusiveLocked(boolean giveBack) {
        boolean was = exclusive;
        exclusive = false;
        KernelModeDriver kmd = kmd();
        if (was && giveBack && kmd != null) {
            Calls.quietly(kmd::endExclusiveAccess);
        }
        return was;
    }

    /**
     * Gives the attached driver up on this adapter: it is refused (kmd:list says why) until its service
     * comes again or {@link AdapterDrivers#retry}, detached, and the next best is attached with a
     * replay. A hung driver is not called again (its DDIs fail at once), so the adapter's PCI function
     * is reset instead: nothing it queued runs on, and the hardware no longer names it. Returns the
     * driver given up.
     */
    Candidate giveUpLocked(String why, boolean hung) {
        Candidate given = attached();
        refuseLocked(given, why);
        detachLocked();
        if (hung) {
            a.unlocked(() -> { // the hardware's reset may wait for its engines: not under the bookkeeping lock
                Calls.quietly(a.gpu::resetFunction);
                return null;
            });
        }
        attachBestLocked();
        return given;
    }

    /** Refuses a driver on this adapter until its service comes again (or a retry). */
    private void refuseLocked(Candidate c, String why) {
        candidates.refuse(c, why);
        a.post(VidMmEvents.DRIVER_REFUSED, () -> VidMmEventProperties.driver(c.name(), c.serviceId(), why));
    }

    /** Attaches the best candidate while none is attached, refusing each that fails to attach. */
    void attachBestLocked() {
        Candidate best = best();
        while (best != null && attachments.current() == null) {
            String refusal = attachLocked(best);
            if (refusal == null) {
                return;
            }
            refuseLocked(best, refusal);
            status = new AdapterStatus(a.index, a.iommuUnit, AdapterStatus.State.REFUSED, null,
                    best.name() + ": " + refusal, status.info());
            best = best();
        }
        if (attachments.current() == null && status.state() == AdapterStatus.State.STARTED) {
            status = idleStatus();
        }
    }

    private AdapterStatus idleStatus() {
        return heldBy == null ? a.noDriver() : new AdapterStatus(a.index, a.iommuUnit, AdapterStatus.State.STOPPED, null,
                "held by " + heldBy + ": no kernel-mode driver is attached", null);
    }

    /** Takes the adapter from its drivers for {@code holder}: no driver attaches until {@link #releaseLocked}. */
    void holdLocked(String holder) {
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

    /** Gives the adapter back to its drivers. */
    void releaseLocked() {
        heldBy = null;
        if (attachments.current() == null) {
            status = idleStatus();
        }
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
