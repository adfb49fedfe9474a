package vidmm.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
import vidmm.VidMmEvents;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

import static vidmm.internal.Calls.quietly;

/**
 * Which driver drives one adapter (OSGi Device Access order: match score, ranking, service id), and
 * the change of driver: quiesce and stop the old context, AddDevice and start the new one, replay
 * every process, device, allocation and displayed primary to it. Guarded by the adapter's lock.
 */
final class AdapterDrivers {
    /** A driver service as a candidate of this adapter; {@code score} is what its match answered. */
    record Candidate(DisplayDriver driver, long serviceId, int ranking, int score, String name) {
    }

    /**
     * One driver attachment, published in one assignment: the candidate it came from (kept when its
     * service goes, to name it), the context as the driver made it, the same context as VidMm calls
     * it (through {@link DdiTracing}), and its TdrDdiDelay guard. Its identity also tells its
     * interrupts from an earlier attachment's, which are ignored.
     */
    record Attachment(Candidate candidate, KernelModeDriver made, KernelModeDriver kmd, DdiGuard guard) {
    }

    private final AdapterVidMm a;
    private final Map<DisplayDriver, Candidate> candidates = new LinkedHashMap<>();
    private final Map<Long, String> refused = new LinkedHashMap<>();
    /** The attachment being replayed to or attached, or null; read without the lock by interrupts and {@link #kmd()}. */
    private volatile Attachment attachment;
    /** Who holds the adapter ({@link vidmm.VidMm#hold}): no driver is attached while set. */
    private String heldBy;
    /** The adapter's status: whether a driver is attached, which, and what it reported (or why none is). */
    private volatile AdapterStatus status;
    /** The attached driver's aperture segment as VidMm allocates it. */
    private volatile ApertureSpace aperture = new ApertureSpace(0, 0, 0);
    /** The attached driver's video present sources. */
    private volatile List<VidPnSourceMode> sourceModes = List.of();
    /** The attached driver's context handles: where its interrupts go. Read on engine threads. */
    private final Map<Long, ContextState> byKmdHandle = new java.util.concurrent.ConcurrentHashMap<>();

    AdapterDrivers(AdapterVidMm adapter) {
        this.a = adapter;
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

    /** The attached driver made a context: its interrupts name it by its driver handle. */
    void contextCreated(ContextState c) {
        byKmdHandle.put(c.kmdHandle, c);
    }

    void contextGone(ContextState c) {
        byKmdHandle.remove(c.kmdHandle);
    }

    /** A driver service arrived: ask it how well it matches this adapter, and attach it if it is now the best. */
    void add(DisplayDriver driver, Map<String, Object> properties) {
        synchronized (a.lock) {
            int score;
            String refusal = null;
            try {
                score = a.gpu == null ? (int) number(properties.get(FixedDriver.SCORE)) : driver.match(a.identity());
            } catch (RuntimeException e) {
                score = DisplayDriver.NO_MATCH;
                refusal = "match failed: " + e;
            }
            Candidate c = new Candidate(driver, number(properties.get("service.id")),
                    (int) number(properties.get("service.ranking")), Math.max(0, score),
                    String.valueOf(properties.getOrDefault(DisplayDriver.NAME, name(driver))));
            candidates.put(driver, c);
            if (refusal != null) {
                refused.put(c.serviceId(), refusal);
            }
            reconsiderLocked();
        }
    }

    private static String name(DisplayDriver driver) {
        return driver instanceof FixedDriver f ? f.context().getClass().getSimpleName() : driver.getClass().getSimpleName();
    }

    /** A driver service is going (its bundle stops): if attached here, the adapter moves to the next best first. */
    void remove(DisplayDriver driver) {
        synchronized (a.lock) {
            Candidate gone = candidates.remove(driver);
            if (gone != null) {
                refused.remove(gone.serviceId());
            }
            reconsiderLocked();
        }
    }

    private static long number(Object value) {
        return value instanceof Number n ? n.longValue() : 0;
    }

    List<DriverBinding> bindings() {
        synchronized (a.lock) {
            List<DriverBinding> list = new ArrayList<>();
            for (Candidate c : candidates.values()) {
                String why = refused.get(c.serviceId());
                if (why == null && !eligible(c)) {
                    why = "does not match " + (a.identity() == null ? "the adapter" : a.identity());
                }
                Candidate attached = attached();
                list.add(new DriverBinding(a.index, c.name(), c.serviceId(), c.score(), c.ranking(),
                        attached != null && c.driver() == attached.driver(), why));
            }
            return list;
        }
    }

    /** A driver whose match said NO_MATCH is never attached (a context handed over directly always may be). */
    private boolean eligible(Candidate c) {
        return c.score() > 0 || c.driver() instanceof FixedDriver;
    }

    private Candidate best() {
        Candidate best = null;
        for (Candidate c : candidates.values()) {
            if (!eligible(c) || refused.containsKey(c.serviceId())) {
                continue;
            }
            if (best == null || c.score() > best.score() || (c.score() == best.score() && (c.ranking() > best.ranking()
                    || (c.ranking() == best.ranking() && c.serviceId() < best.serviceId())))) {
                best = c;
            }
        }
        return best;
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
        return c != null && candidates.containsKey(c.driver());
    }

    /** Gives a driver up on this adapter (TDR limit): it is refused until its service comes again. */
    void refuseLocked(Candidate c, String why) {
        refused.put(c.serviceId(), why);
        a.post(VidMmEvents.DRIVER_REFUSED, () -> VidMmEventProperties.driver(c.name(), c.serviceId(), why));
    }

    /** Attaches the best driver if it is not the attached one, replaying every live object to it. */
    void reconsiderLocked() {
        if (a.stopped || heldBy != null) {
            return;
        }
        Candidate best = best();
        Attachment now = attachment;
        if (best != null && now != null && best.driver() == now.candidate().driver()) {
            return;
        }
        if (now != null) {
            detachLocked(true);
        }
        while (best != null) {
            String refusal = attachLocked(best);
            if (refusal == null) {
                return;
            }
            refuseLocked(best, refusal);
            status = new AdapterStatus(a.index, a.iommuUnit, AdapterStatus.State.REFUSED, null,
                    best.name() + ": " + refusal, status.info());
            best = best();
        }
        if (status.state() == AdapterStatus.State.STARTED) {
            status = a.noDriver();
        }
    }

    /** Takes the adapter from its drivers for {@code holder}: the attached one is detached, none attaches until {@link #releaseLocked}. */
    void holdLocked(String holder) {
        if (heldBy != null) {
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "adapter " + a.index + " is already held by " + heldBy);
        }
        if (a.stopped) {
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "adapter " + a.index + " is stopped");
        }
        if (attachment != null) {
            detachLocked(true);
        }
        heldBy = holder;
        status = new AdapterStatus(a.index, a.iommuUnit, AdapterStatus.State.STOPPED, null,
                "held by " + holder + ": no kernel-mode driver is attached", null);
    }

    /** Gives the adapter back to its drivers: the best match is attached again, with every live object replayed. */
    void releaseLocked() {
        heldBy = null;
        status = a.noDriver();
        reconsiderLocked();
    }

    /**
     * Quiesces and detaches the attached driver: exclusive access, in-flight submissions finish (or,
     * after two seconds, their devices are put in error), then StopDevice and RemoveDevice. Processes
     * keep their memory. A hung driver is not called (each call fails at once) and not removed.
     */
    void detachLocked(boolean quiesce) {
        detachLocked(quiesce, null);
    }

    /** As {@link #detachLocked(boolean)}, running {@code afterStop} with the stopped context before it is closed. */
    void detachLocked(boolean quiesce, java.util.function.Consumer<KernelModeDriver> afterStop) {
        Attachment was = attachment;
        KernelModeDriver old = was.kmd();
        quietly(old::beginExclusiveAccess);
        if (quiesce) {
            a.work.quiesceLocked();
        }
        attachment = null; // its interrupts are ignored from here on
        quietly(old::stopDevice);
        a.pagingFence.abandon(); // what waited for its paging fences (releases of unmapped primaries) runs now
        if (afterStop != null) {
            afterStop.accept(old);
        }
        removeDevice(was);
        a.post(VidMmEvents.DRIVER_DETACHED, () -> VidMmEventProperties.driver(was.candidate().name(),
                was.candidate().serviceId(), null));
        byKmdHandle.clear();
        status = a.noDriver();
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
    private static Object guarded(DdiGuard g, String ddi, DdiGuard.Call call) {
        try {
            return g.call(ddi, call);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Adds, starts and replays VidMm's state to {@code c}. Returns null when attached, or why it was
     * refused; a refused driver is stopped and removed again and VidMm's state is as it was.
     */
    String attachLocked(Candidate c) {
        DdiGuard g = new DdiGuard(c.name(), a.index, a.work.ddiDelayMillis(), a.work::driverHung);
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
                    a.work.interrupt(n);
                }
            });
        } catch (RuntimeException e) {
            attachment = null;
            removeDevice(made);
            return "StartDevice failed: " + e;
        }
        Map<AdapterVidMm.ProcessState, Long> oldProcessHandles = new HashMap<>();
        Map<DeviceState, Long> oldDeviceHandles = new HashMap<>();
        Map<ContextState, Long> oldContextHandles = new HashMap<>();
        a.processes.values().forEach(p -> oldProcessHandles.put(p, p.kmdHandle));
        a.devices.values().forEach(d -> oldDeviceHandles.put(d, d.kmdHandle));
        a.contexts.values().forEach(x -> oldContextHandles.put(x, x.kmdHandle));
        ApertureSpace oldAperture = aperture;
        List<VidPnSourceMode> oldModes = sourceModes;
        try {
            replayLocked(info);
            status = new AdapterStatus(a.index, a.iommuUnit, AdapterStatus.State.STARTED,
                    AdapterStatus.AddressingModel.IOMMU, null, info);
            a.work.attached();
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

    /** Tells the just-started driver about every process, device, context, allocation and displayed primary. */
    private void replayLocked(AdapterInfo info) {
        ApertureSpace space = new ApertureSpace(0, 0, 0);
        for (SegmentDescriptor s : info.segments()) {
            if (s.apertureSegment()) {
                space = new ApertureSpace(s.id(), s.size() >>> 12, info.driverCaps().apertureSegmentCommitLimit());
                break;
            }
        }
        a.display.reserveShownIn(space);
        KernelModeDriver kmd = kmd();
        List<VidPnSourceMode> modes = List.copyOf(kmd.queryVidPnSourceModes());
        for (AdapterVidMm.ProcessState p : a.processes.values()) {
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
                    AdapterVidMm.checkDescription(request, desc);
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
        a.display.replayLocked();
    }
}
