package vidmm.internal;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import kmd.api.AdapterInfo;
import kmd.api.AllocationDescription;
import kmd.api.AllocationRequest;
import kmd.api.DisplayDriver;
import kmd.api.KernelModeDriver;
import kmd.api.SegmentDescriptor;
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
 * the change of driver: quiesce and stop the old context, AddDevice and start the new one, replay
 * every process, device, allocation and displayed primary to it. Guarded by the adapter's lock; a
 * change ({@link #reconsider}) waits for the old driver's work and for the replay's aperture maps
 * without it, while every context's new submissions are held behind the change.
 */
final class AdapterDrivers {
    /**
     * One driver attachment, published in one assignment: the candidate it came from (kept when its
     * service goes, to name it), the context as the driver made it, the same context as VidMm calls
     * it (through {@link DdiTracing}), and its TdrDdiDelay guard. Its identity also tells its
     * interrupts from an earlier attachment's, which are ignored.
     */
    record Attachment(Candidate candidate, KernelModeDriver made, KernelModeDriver kmd, DdiGuard guard) {
    }

    /** An attachment whose replayed aperture maps were issued up to paging fence {@code fence}, not yet seen completed. */
    private record Replay(Attachment made, long fence) {
    }

    /** How long a change waits for the going driver's work before its devices are put in error. */
    static final long QUIESCE_MILLIS = 2000;
    /** How long a replay's aperture maps may take before the new driver is given up. */
    static final long REPLAY_MILLIS = 5000;
    /** How long a call that needs the driver waits for a change in progress before it gives up. */
    private static final long SETTLE_MILLIS = 30_000;

    /**
     * What a change of driver asks of the adapter's other parts: the TdrDdiDelay guard's delay and
     * what to do when it fires, the new driver's interrupts, the held submissions and engine resets
     * waiting for the change, and the display's replay and due unmaps. Called under the adapter's lock
     * unless named otherwise.
     */
    interface Hooks {
        long ddiDelayMillis();

        /** A guarded DDI did not return within TdrDdiDelay (any thread, without the lock). */
        void driverHung(DdiGuard guard, String ddi);

        /** A driver was attached: TDR counts start again. */
        void attached();

        /** An interrupt of the attached driver (an engine's thread, without the lock). */
        void interrupt(kmd.api.callbacks.InterruptNotification n);

        void releaseHeldLocked(ContextState c);

        void resubmitDueLocked(boolean calledOff);

        void reserveShownIn(ApertureSpace space);

        long replayDisplayLocked();

        void pointReplayedLocked();

        void unmapDueLocked();
    }

    private final AdapterState a;
    private final PagingFence pagingFence;
    private final Hooks hooks;
    private final DriverCandidates candidates = new DriverCandidates();
    /** The attachment being replayed to or attached, or null; read without the lock by interrupts and {@link #kmd()}. */
    private volatile Attachment attachment;
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
    /** The attached driver's aperture segment as VidMm allocates it. */
    private volatile ApertureSpace aperture = new ApertureSpace(0, 0, 0);
    /** The attached driver's video present sources. */
    private volatile List<VidPnSourceMode> sourceModes = List.of();
    /** The attached driver's context handles: where its interrupts go. Read on engine threads. */
    private final Map<Long, ContextState> byKmdHandle = new java.util.concurrent.ConcurrentHashMap<>();

    AdapterDrivers(AdapterState adapter, PagingFence pagingFence, Hooks hooks) {
        this.a = adapter;
        this.pagingFence = pagingFence;
        this.hooks = hooks;
        this.status = adapter.noDriver();
    }

    AdapterStatus status() {
        return status;
    }

    ApertureSpace aperture() {
        return aperture;
    }

    List<VidPnSourceMode> sourceModes() {
        return sourceModes;
    }

    /** The context the attached driver knows as {@code kmdHandle}, or null. */
    ContextState contextOf(long kmdHandle) {
        return byKmdHandle.get(kmdHandle);
    }

    /**
     * The attached driver made a context: its interrupts name it by its driver handle; during a
     * change its submissions are held behind the change as every other context's.
     */
    void contextCreated(ContextState c) {
        byKmdHandle.put(c.kmdHandle, c);
        SyncObjectState gate = changing;
        if (gate != null) {
            c.holdFirst(gate, 1); // given to the driver by the change's end (reconsider)
        }
    }

    void contextGone(ContextState c) {
        byKmdHandle.remove(c.kmdHandle);
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
        Attachment now = attachment;
        return now == null ? null : now.candidate();
    }

    /** The attached context as VidMm calls it (through {@link DdiTracing}), or null. */
    KernelModeDriver kmd() {
        Attachment now = attachment;
        return now == null ? null : now.kmd();
    }

    /** Whether {@code g} guards the attached context (a hang report about an earlier one is stale). */
    boolean guards(DdiGuard g) {
        Attachment now = attachment;
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
            quietly(a.gpu::resetFunction);
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
        Attachment now = attachment;
        return now == null ? best != null : best == null || best.driver() != now.candidate().driver();
    }

    /**
     * Starts a change: the going driver (if any) gets exclusive access, and every context's stream
     * waits behind {@code gate}. Returns the contexts whose given work is to be waited for.
     */
    private List<ContextState> beginChangeLocked(SyncObjectState gate) {
        Attachment now = attachment;
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
        if (attachment == null) {
            attachBestLocked();
        }
        if (attachment == null) {
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
        while (best != null && attachment == null) {
            String refusal = attachLocked(best);
            if (refusal == null) {
                return;
            }
            refusedLocked(best, refusal);
            best = best();
        }
        if (attachment == null && status.state() == AdapterStatus.State.STARTED) {
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
                if (attachment != r.made()) {
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
            if (attachment == null) {
                status = idleStatus();
            }
        }
        reconsider();
    }

    /** Gives the adapter back to its drivers: the best match is attached again, with every live object replayed. */
    void release() {
        try (AdapterState.Held held = a.change()) {
            heldBy = null;
            if (attachment == null) {
                status = idleStatus();
            }
        }
        reconsider();
    }

    /**
     * Detaches the attached driver (whose work the caller waited for or gave up): exclusive access,
     * then StopDevice and RemoveDevice. Processes keep their memory. A hung driver is not called
     * (each call fails at once) and not removed.
     */
    void detachLocked() {
        detachLocked(null);
    }

    /** As {@link #detachLocked()}, running {@code afterStop} with the stopped context before it is closed. */
    void detachLocked(java.util.function.Consumer<KernelModeDriver> afterStop) {
        Attachment was = attachment;
        KernelModeDriver old = was.kmd();
        quietly(old::beginExclusiveAccess);
        attachment = null; // its interrupts are ignored from here on
        replaying = null;
        quietly(old::stopDevice);
        pagingFence.abandon(); // what waited for its paging fences (releases of unmapped primaries) runs now
        if (afterStop != null) {
            afterStop.accept(old);
        }
        removeDevice(was);
        a.post(VidMmEvents.DRIVER_DETACHED, () -> VidMmEventProperties.driver(was.candidate().name(),
                was.candidate().serviceId(), null));
        byKmdHandle.clear();
        status = idleStatus();
    }

    /** DxgkDdiRemoveDevice of a stopped attachment (not for a hung driver, which is not called again), and its guard closed. */
    private static void removeDevice(Attachment gone) {
        DdiGuard g = gone.guard();
        if (!g.hung()) {
            quietly(() -> guarded(g, "DxgkDdiRemoveDevice", () -> {
                gone.candidate().driver().removeDevice(gone.made());
                return null;
            }));
        }
        g.close();
    }

    /** Runs a call of the driver's service (not of a context) under the guard, as a DDI is. */
    private static Object guarded(DdiGuard g, String ddi, DdiCall call) {
        try {
            return g.call(ddi, call);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Adds, starts and replays VidMm's state to {@code c}, waiting for nothing: the replay's aperture
     * maps are confirmed by {@link #settleReplay}. Returns null when attached, or why it was refused; a
     * refused driver is stopped and removed again and VidMm's state is as it was.
     */
    String attachLocked(Candidate c) {
        DdiGuard g = new DdiGuard(c.name(), a, hooks.ddiDelayMillis(), hooks::driverHung);
        KernelModeDriver context;
        try {
            context = (KernelModeDriver) guarded(g, "DxgkDdiAddDevice", () -> c.driver().addDevice(a.gpu));
            if (context == null) {
                g.close();
                return "AddDevice returned no context";
            }
        } catch (RuntimeException e) {
            g.close();
            return "AddDevice failed: " + e;
        }
        // every DDI call of the context timed, posted, and guarded by TdrDdiDelay
        Attachment made = new Attachment(c, context, DdiTracing.wrap(context, c.name(), g, a::post), g);
        KernelModeDriver driver = made.kmd();
        AdapterInfo info;
        try {
            info = driver.queryAdapterInfo();
        } catch (RuntimeException e) {
            removeDevice(made);
            return "QueryAdapterInfo failed: " + e;
        }
        String refusal = CapsValidator.refusal(info);
        if (refusal != null) {
            removeDevice(made);
            return refusal;
        }
        attachment = made; // published: its interrupts (paging fences of the replay) count, and the replay calls it
        try {
            driver.startDevice(n -> {
                if (attachment == made) {
                    hooks.interrupt(n);
                }
            });
        } catch (RuntimeException e) {
            attachment = null;
            removeDevice(made);
            return "StartDevice failed: " + e;
        }
        Map<ProcessState, Long> oldProcessHandles = new HashMap<>();
        Map<DeviceState, Long> oldDeviceHandles = new HashMap<>();
        Map<ContextState, Long> oldContextHandles = new HashMap<>();
        a.processes.values().forEach(p -> oldProcessHandles.put(p, p.kmdHandle));
        a.devices.values().forEach(d -> oldDeviceHandles.put(d, d.kmdHandle));
        a.contexts.values().forEach(x -> oldContextHandles.put(x, x.kmdHandle));
        ApertureSpace oldAperture = aperture;
        List<VidPnSourceMode> oldModes = sourceModes;
        try {
            long fence = replayLocked(info);
            replaying = fence == 0 ? null : new Replay(made, fence);
            status = new AdapterStatus(a.index, a.iommuUnit, AdapterStatus.State.STARTED,
                    AdapterStatus.AddressingModel.IOMMU, null, info);
            hooks.attached();
            hooks.unmapDueLocked(); // what the last driver could not unmap, this one does
            a.post(VidMmEvents.DRIVER_ATTACHED, () -> VidMmEventProperties.driver(c.name(), c.serviceId(), null));
            return null;
        } catch (RuntimeException e) {
            attachment = null; // no driver was attached before: the caller detached it first
            quietly(driver::stopDevice);
            removeDevice(made);
            oldProcessHandles.forEach((p, h) -> p.attachedAs(h));
            oldDeviceHandles.forEach((d, h) -> d.attachedAs(h));
            oldContextHandles.forEach((x, h) -> x.attachedAs(h));
            byKmdHandle.clear();
            aperture = oldAperture;
            sourceModes = oldModes;
            return "replaying VidMm's state failed: " + e.getMessage();
        }
    }

    /**
     * Tells the just-started driver about every process, device, context, allocation and displayed
     * primary; returns the paging fence of the last aperture map it issued (0: none).
     */
    private long replayLocked(AdapterInfo info) {
        ApertureSpace space = new ApertureSpace(0, 0, 0);
        for (SegmentDescriptor s : info.segments()) {
            if (s.apertureSegment()) {
                space = new ApertureSpace(s.id(), s.size() >>> 12, info.driverCaps().apertureSegmentCommitLimit());
                break;
            }
        }
        hooks.reserveShownIn(space);
        KernelModeDriver kmd = kmd();
        List<VidPnSourceMode> modes = List.copyOf(kmd.queryVidPnSourceModes());
        for (ProcessState p : a.processes.values()) {
            p.attachedAs(kmd.createProcess(p.pid, p.pasids.clone()));
        }
        byKmdHandle.clear();
        for (DeviceState d : a.devices.values()) {
            d.attachedAs(kmd.createDevice(a.processes.get(d.pid).kmdHandle, d.pasid));
            for (ContextState x : d.contexts()) {
                x.attachedAs(kmd.createContext(d.kmdHandle, x.node, x.gpu));
                byKmdHandle.put(x.kmdHandle, x);
            }
            for (AllocationState x : d.allocations.values()) {
                if (x.owner) {
                    AllocationRequest request = new AllocationRequest(x.size, x.flags);
                    AllocationDescription desc = kmd.createAllocation(d.kmdHandle, request);
                    AllocationState.checkDescription(request, desc);
                    if (((desc.size() + 4095) & ~4095L) != x.size) {
                        throw new IllegalStateException("the driver describes allocation 0x" + Long.toHexString(x.handle)
                                + " as " + desc.size() + " bytes, but it is backed by " + x.size);
                    }
                }
                kmd.openAllocation(d.kmdHandle, x.handle, x.va, x.size);
            }
        }
        aperture = space;
        sourceModes = modes;
        return hooks.replayDisplayLocked();
    }
}
