package vidmm.internal;

import java.util.List;

import kmd.api.AdapterInfo;
import kmd.api.AllocationDescription;
import kmd.api.AllocationRequest;
import kmd.api.KernelModeDriver;
import kmd.api.SegmentDescriptor;
import kmd.api.VidPnSourceMode;
import vidmm.internal.DriverCandidates.Candidate;

import static vidmm.internal.Calls.quietly;

/**
 * The driver attached to one adapter, one at a time: DxgkDdiAddDevice, DxgkDdiQueryAdapterInfo and
 * the caps check, DxgkDdiStartDevice and the replay of every process, device, context, allocation
 * and displayed primary to the new context; then, when it goes, exclusive access, DxgkDdiStopDevice
 * and DxgkDdiRemoveDevice. Which driver to attach, and when, is {@link AdapterDrivers}'. Called in
 * a change; what it publishes is read without the lock by interrupts and by {@link #kmd()}.
 */
final class Attachments {
    /**
     * One driver attachment, published in one assignment: the candidate it came from (kept when its
     * service goes, to name it), the context as the driver made it, the same context as VidMm calls
     * it (through {@link DdiTracing}), its TdrDdiDelay guard and the driver's handles of VidMm's
     * objects. Its identity also tells its interrupts from an earlier attachment's, which are ignored.
     */
    record Attachment(Candidate candidate, KernelModeDriver made, KernelModeDriver kmd, DdiGuard guard,
                      DriverHandles handles) {
    }

    /** What {@link #attach} did: the driver's adapter info and the paging fence of its replay's last aperture map (0: none), or why it was refused. */
    record Attached(AdapterInfo info, long replayFence, String refusal) {
    }

    private final AdapterState a;
    private final PagingFence pagingFence;
    private final DriverHooks hooks;
    /** The attachment being replayed to or attached, or null. */
    private volatile Attachment attachment;
    /** The attached driver's aperture segment as VidMm allocates it. */
    private volatile ApertureSpace aperture = new ApertureSpace(0, 0, 0);
    /** The attached driver's video present sources. */
    private volatile List<VidPnSourceMode> sourceModes = List.of();

    Attachments(AdapterState adapter, PagingFence pagingFence, DriverHooks hooks) {
        this.a = adapter;
        this.pagingFence = pagingFence;
        this.hooks = hooks;
    }

    /** The attachment, or null. */
    Attachment current() {
        return attachment;
    }

    ApertureSpace aperture() {
        return aperture;
    }

    List<VidPnSourceMode> sourceModes() {
        return sourceModes;
    }

    /**
     * Adds, starts and replays VidMm's state to {@code c}, waiting for nothing (the caller confirms
     * the replay's aperture maps). A refused driver is stopped and removed again; its handles go with
     * it, so VidMm's objects are as they were.
     */
    Attached attach(Candidate c) {
        DdiGuard g = new DdiGuard(c.name(), a, hooks.ddiDelayMillis(), hooks::driverHung);
        KernelModeDriver context;
        try {
            context = (KernelModeDriver) guarded(g, "DxgkDdiAddDevice", () -> c.driver().addDevice(a.gpu));
            if (context == null) {
                g.close();
                return refused("AddDevice returned no context");
            }
        } catch (RuntimeException e) {
            g.close();
            return refused("AddDevice failed: " + e);
        }
        // every DDI call of the context timed, posted, and guarded by TdrDdiDelay
        Attachment made = new Attachment(c, context, DdiTracing.wrap(context, c.name(), g, a::post), g, new DriverHandles());
        KernelModeDriver driver = made.kmd();
        AdapterInfo info;
        try {
            info = driver.queryAdapterInfo();
        } catch (RuntimeException e) {
            removeDevice(made);
            return refused("QueryAdapterInfo failed: " + e);
        }
        String refusal = CapsValidator.refusal(info);
        if (refusal != null) {
            removeDevice(made);
            return refused(refusal);
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
            return refused("StartDevice failed: " + e);
        }
        ApertureSpace oldAperture = aperture;
        List<VidPnSourceMode> oldModes = sourceModes;
        try {
            return new Attached(info, replay(info, made), null);
        } catch (RuntimeException e) {
            attachment = null; // no driver was attached before: the caller detached it first
            quietly(driver::stopDevice);
            removeDevice(made);
            aperture = oldAperture;
            sourceModes = oldModes;
            return refused("replaying VidMm's state failed: " + e.getMessage());
        }
    }

    private static Attached refused(String why) {
        return new Attached(null, 0, why);
    }

    /**
     * Tells the just-started driver about every process, device, context, allocation and displayed
     * primary; returns the paging fence of the last aperture map it issued (0: none).
     */
    private long replay(AdapterInfo info, Attachment made) {
        ApertureSpace space = new ApertureSpace(0, 0, 0);
        for (SegmentDescriptor s : info.segments()) {
            if (s.apertureSegment()) {
                space = new ApertureSpace(s.id(), s.size() >>> 12, info.driverCaps().apertureSegmentCommitLimit());
                break;
            }
        }
        hooks.reserveShownIn(space);
        KernelModeDriver kmd = made.kmd();
        DriverHandles h = made.handles();
        List<VidPnSourceMode> modes = List.copyOf(kmd.queryVidPnSourceModes());
        for (ProcessState p : a.processes.values()) {
            h.put(p, kmd.createProcess(p.pid, p.pasids.clone()));
        }
        for (DeviceState d : a.devices.values()) {
            h.put(d, kmd.createDevice(h.of(a.processes.get(d.pid)), d.pasid));
            for (ContextState x : d.contexts()) {
                h.put(x, kmd.createContext(h.of(d), x.node.nodeOrdinal(), 1 << x.gpu));
            }
            for (AllocationState x : d.allocations.values()) {
                if (x.owner) {
                    AllocationRequest request = x.request();
                    AllocationDescription desc = kmd.createAllocation(h.of(d), request);
                    AllocationState.checkDescription(request, desc);
                    if (((desc.size() + 4095) & ~4095L) != x.size) {
                        throw new IllegalStateException("the driver describes allocation 0x" + Long.toHexString(x.handle)
                                + " as " + desc.size() + " bytes, but it is backed by " + x.size);
                    }
                }
                h.put(x, kmd.openAllocation(h.of(d), x.handle, x.owner));
            }
        }
        aperture = space;
        sourceModes = modes;
        return hooks.replayDisplayLocked();
    }

    /**
     * Detaches the attached driver (whose work the caller waited for or gave up): exclusive access,
     * then StopDevice, {@code afterStop} (if any) with the stopped context, and RemoveDevice; returns
     * the attachment that went. Processes keep their memory. A hung driver is not called (each call
     * fails at once) and not removed.
     */
    Attachment detach(java.util.function.Consumer<KernelModeDriver> afterStop) {
        Attachment was = attachment;
        KernelModeDriver old = was.kmd();
        quietly(old::beginExclusiveAccess);
        attachment = null; // its interrupts are ignored from here on
        quietly(old::stopDevice);
        pagingFence.abandon(); // what waited for its paging fences (releases of unmapped primaries) runs now
        if (afterStop != null) {
            afterStop.accept(old);
        }
        removeDevice(was);
        return was;
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
}
