package vidmm.internal;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.callbacks.InterruptNotification;
import kmd.api.callbacks.PageFaultFlags;
import vidmm.GpuFault;
import vidmm.VidMmEvents;

import static vidmm.internal.Calls.quietly;

/**
 * Recovery of one adapter, on its own recovery thread (apart from the adapter's worker, so that a
 * reset never delays a GPU wait's release or a paging fence's task): a GPU page fault resets the
 * engine (escalating to an adapter reset), a submission that makes no progress for TdrDelay while
 * its driver does not say its engine is still busy is a timeout (TDR), a driver that does not return
 * from a DDI within TdrDdiDelay is given up, a GPU that did not answer a device-TLB invalidation is
 * reset; other devices' queued work is resubmitted after a reset. Each records its fault and posts it.
 */
final class Recovery {
    private static final System.Logger LOG = System.getLogger(Recovery.class.getName());

    private final AdapterState a;
    private final DriverSeat seat;
    /** Whether a driver change is in progress (no TDR is judged across one). */
    private final java.util.function.BooleanSupplier changing;
    private final TdrWatchdog watchdog;
    private final ExecutorService recovery;
    /** Engines reset while VidMm held the driver's exclusive access, whose work is to be given again. */
    private final Set<EngineNode> resubmitDue = EnumSet.noneOf(EngineNode.class);

    Recovery(AdapterState adapter, DriverSeat seat, java.util.function.BooleanSupplier changing, TdrPolicy tdr) {
        this.a = adapter;
        this.seat = seat;
        this.changing = changing;
        this.watchdog = new TdrWatchdog(tdr);
        this.recovery = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "vidmm-recovery-" + adapter.index);
            t.setDaemon(true);
            return t;
        });
        watchdog.start(this::detectTimeouts);
    }

    void stop() {
        recovery.shutdown();
        watchdog.stop();
    }

    long ddiDelayMillis() {
        return watchdog.policy().ddiDelayMillis;
    }

    /**
     * A DDI of the context {@code guard} watches did not return within TdrDdiDelay. Its caller got
     * DRIVER_HUNG and let the adapter's call order go; the recovery thread gives the driver up.
     */
    void driverHung(DdiGuard guard, String ddi) {
        try {
            recovery.execute(() -> recoverHung(guard, ddi));
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // VidMm is stopping: nothing to recover
        }
    }

    /**
     * TdrDdiDelay: the hung driver is refused and detached without being called again; devices with work
     * it will never report are put in error; the next best driver is attached with a replay, and the
     * engines reset so that nothing the hung driver queued runs on.
     */
    private void recoverHung(DdiGuard guard, String ddi) {
        GpuFault record;
        try (AdapterState.Held held = a.change()) {
            if (a.stopped || !seat.guards(guard)) {
                return; // detached meanwhile
            }
            for (DeviceState d : a.devices.values()) {
                if (!d.idle()) {
                    d.fault(); // work the hung driver will never report
                }
            }
            DriverCandidates.Candidate given = seat.giveUpLocked("hung in " + ddi + " for more than " + ddiDelayMillis()
                    + " ms (TdrDdiDelay)", true);
            DriverCandidates.Candidate next = seat.attached(); // its attach started every engine's clock again
            String outcome = given.name() + " given up; " + (next == null ? "no other driver: adapter stopped"
                    : next.name() + " attached");
            record = a.faults.pending(0, 0, null, 0, 0, false, "TIMEOUT: " + given.name() + " did not return from " + ddi
                    + " within " + ddiDelayMillis() + " ms", outcome, a.index);
        }
        seat.settleReplay();
        posted(VidMmEvents.TIMEOUT, record);
    }

    /** A driver was attached: the TDR count starts again, and so does every engine's clock. */
    void attached() {
        watchdog.policy().reset();
        for (EngineNode node : EngineNode.values()) {
            watchdog.progressed(node);
        }
    }

    /**
     * The engine of context {@code c} (null: unknown to VidMm) faulted: the fault is recorded (with the
     * interrupt's WDK fields) and posted, its recovery queued on the recovery thread, and then its
     * device put in error. Called on the engine's interrupt thread.
     */
    void pageFaulted(InterruptNotification.DmaPageFaulted f, ContextState c) {
        DeviceState d = c == null ? null : c.device;
        String interrupt = String.format("DXGK_INTERRUPT_DMA_PAGE_FAULTED: FaultedFenceId %d, PageFaultFlags 0x%x (%s),"
                + " FaultErrorCode %s, FaultedProcessHandle 0x%x", f.faultedFenceId(), f.pageFaultFlags(),
                PageFaultFlags.describe(f.pageFaultFlags()), f.faultErrorCode(), f.faultedProcessHandle());
        GpuFault record = a.faults.pending(d == null ? 0 : d.handle, d == null ? 0 : d.pid, f.node(), f.pasid(),
                f.faultedVirtualAddress(), f.write(), f.reason(), "recovery pending", a.index, interrupt);
        posted(VidMmEvents.GPU_FAULT, record);
        try {
            recovery.execute(() -> recover(f, record));
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // VidMm is stopping: the driver is being stopped too, nothing to recover
        }
        if (d != null) {
            d.fault(); // last: waiters see the fault recorded and its recovery queued
        }
    }

    /** Work on {@code node} completed: its TdrDelay clock starts again. */
    void progressed(EngineNode node) {
        watchdog.progressed(node);
    }

    /**
     * Cuts off what of {@code contexts} may still be on an engine (queued, or put in error by VidMm
     * while the engine may hold it): their engines are reset and the other contexts' work there is
     * resubmitted. Waits for nothing.
     */
    void cutOffLocked(List<ContextState> contexts) {
        if (seat.kmd() == null) {
            return; // no driver: nothing of it runs
        }
        Set<EngineNode> nodes = EnumSet.noneOf(EngineNode.class);
        for (ContextState c : contexts) {
            if (!c.idle() || c.inError()) {
                nodes.add(c.node);
            }
        }
        if (nodes.isEmpty()) {
            return; // everything it submitted completed: nothing of it is left on an engine
        }
        for (ContextState c : contexts) {
            c.fault();
        }
        KernelModeDriver kmd = seat.kmd();
        for (EngineNode node : nodes) {
            quietly(() -> kmd.resetEngine(node));
            watchdog.progressed(node);
        }
        resubmitLocked(nodes, Set.copyOf(contexts));
    }

    /**
     * Recovers as the fault's PageFaultFlags prescribe (Windows' policy): ADAPTER_RESET_REQUIRED (or
     * FATAL_HARDWARE_ERROR, where Windows bug-checks) resets the adapter; ENGINE_RESET_REQUIRED (or
     * FENCE_INVALID, which needs one of the two) resets the faulted engine, escalating to an adapter
     * reset if that fails; with neither, nothing is reset (the faulting device is in error). Then other
     * devices' work dropped by a reset is resubmitted.
     */
    private void recover(InterruptNotification.DmaPageFaulted f, GpuFault pending) {
        GpuFault done;
        int flags = f.pageFaultFlags();
        try (AdapterState.Held held = a.change()) {
            if (seat.kmd() == null) {
                return; // the driver went away meanwhile; nothing to reset
            }
            Set<EngineNode> dropped = EnumSet.of(f.node());
            String outcome;
            if ((flags & (PageFaultFlags.ADAPTER_RESET_REQUIRED | PageFaultFlags.FATAL_HARDWARE_ERROR)) != 0) {
                dropped = EnumSet.allOf(EngineNode.class);
                outcome = "adapter reset (" + ((flags & PageFaultFlags.FATAL_HARDWARE_ERROR) != 0
                        ? "FATAL_HARDWARE_ERROR: Windows would bug-check" : "ADAPTER_RESET_REQUIRED") + ")" + resetAdapterLocked();
            } else if ((flags & (PageFaultFlags.ENGINE_RESET_REQUIRED | PageFaultFlags.FENCE_INVALID)) == 0) {
                dropped = EnumSet.noneOf(EngineNode.class);
                outcome = "no reset (the driver asked for none): the device is in error";
            } else {
                try {
                    seat.kmd().resetEngine(f.node());
                    outcome = "engine reset";
                } catch (RuntimeException engineResetFailed) {
                    dropped = EnumSet.allOf(EngineNode.class);
                    outcome = "adapter reset (engine reset failed: " + engineResetFailed.getMessage() + ")" + resetAdapterLocked();
                }
            }
            // resolved before the others' work goes again: whoever sees that complete finds the outcome
            done = a.faults.resolve(pending, outcome);
            ContextState faulted = seat.contextOf(f.contextHandle());
            resubmitLocked(dropped, faulted == null ? Set.of() : Set.copyOf(faulted.device.contexts()));
        }
        seat.settleReplay();
        if ((flags & (PageFaultFlags.ADAPTER_RESET_REQUIRED | PageFaultFlags.FATAL_HARDWARE_ERROR
                | PageFaultFlags.ENGINE_RESET_REQUIRED | PageFaultFlags.FENCE_INVALID)) != 0) {
            posted(VidMmEvents.ENGINE_RESET, done);
        }
    }

    /**
     * The adapter reset: exclusive access, StopDevice, every engine reset (which empties the GPUs'
     * device TLBs), then the same driver started again and its devices replayed; returns what went
     * wrong on the way ("" if nothing). Under the adapter's lock.
     */
    private String resetAdapterLocked() {
        DriverCandidates.Candidate current = seat.attached();
        DriverCandidates.Candidate same = seat.present(current) ? current : null;
        seat.detachLocked(stopped -> { // exclusive access, StopDevice, then the hardware reset
            for (EngineNode node : EngineNode.values()) {
                quietly(() -> stopped.resetEngine(node));
            }
        });
        String refusal = same == null ? "driver gone" : seat.attachLocked(same); // AddDevice, start, replay
        if (refusal != null) {
            seat.attachBestLocked();
            return "; restarting the driver failed: " + refusal;
        }
        return "";
    }

    /**
     * The IOMMU unit reported that physical GPU {@code physicalGpu} did not answer a device-TLB invalidation in
     * time (the OS told VidMm, see {@code os.memmgr.IommuDeviceListener}): the unit refuses the GPU's
     * translated requests until the GPU is reset, so the adapter is reset (TDR path) on its recovery thread
     * and every context's queued work is resubmitted.
     */
    void deviceTlbTimedOut(int physicalGpu, int unit, String device) {
        GpuFault pending = a.faults.pending(0, 0, null, 0, 0, false, "DEVICE_TLB_TIMEOUT: GPU " + physicalGpu + " (" + device
                + ") did not answer a device-TLB invalidation of IOMMU unit " + unit + " in time", "adapter reset pending", a.index);
        Runnable reset = () -> {
            GpuFault done;
            try (AdapterState.Held held = a.change()) {
                if (seat.kmd() == null) {
                    a.unlocked(() -> { // empties the device TLB; the unit accepts the GPU again
                        a.gpu.resetEngine(gpu.hw.EngineType.COPY);
                        return null;
                    });
                    done = a.faults.resolve(pending, "no driver: the GPU is reset when one attaches");
                } else {
                    done = a.faults.resolve(pending, "adapter reset" + resetAdapterLocked());
                    resubmitLocked(EnumSet.allOf(EngineNode.class), Set.of());
                }
            }
            seat.settleReplay();
            posted(VidMmEvents.ENGINE_RESET, done);
        };
        try {
            recovery.execute(reset);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // VidMm is stopping: the GPU stops with it
        }
    }

    /**
     * Resubmits the queued work of every active context on {@code nodes} (an engine reset dropped
     * it), except {@code skip}'s (a fault may not have put them in error yet). While VidMm holds the
     * driver's exclusive access (a change waits for its work) nothing is given to it: the nodes are
     * resubmitted when the change is called off ({@link #resubmitDueLocked}); a change that goes
     * through puts the devices whose given work did not finish in error. The nodes' SubmissionFenceIds
     * given so far are dropped with the work: what goes again gets new ones.
     */
    void resubmitLocked(Set<EngineNode> nodes, Set<ContextState> skip) {
        for (EngineNode node : nodes) {
            a.nodeFences.reset(node); // the reset dropped what those ids were given for: what goes again gets new ones
        }
        KernelModeDriver kmd = seat.kmd();
        if (kmd == null) {
            return;
        }
        if (seat.exclusiveLocked()) {
            resubmitDue.addAll(nodes); // the skipped contexts' devices are in error by then
            return;
        }
        for (ContextState c : a.contexts.values()) {
            if (!skip.contains(c) && nodes.contains(c.node) && c.device.active()) {
                long hContext = seat.handles().of(c);
                c.pendingCopy().forEach((fence, p) -> quietly(() -> a.nodeFences.submit(c, fence,
                        id -> p.work().submitTo(kmd, hContext, id))));
            }
        }
    }

    /**
     * VidMm gave the driver its access back (a change called off): what engine resets dropped
     * meanwhile goes to it now; after a change that went through there is nothing to give.
     */
    void resubmitDueLocked(boolean calledOff) {
        if (resubmitDue.isEmpty()) {
            return;
        }
        Set<EngineNode> due = EnumSet.copyOf(resubmitDue);
        resubmitDue.clear();
        if (calledOff) {
            resubmitLocked(due, Set.of());
        }
    }

    // ---- timeout detection and recovery ----

    /** The watchdog's tick: an engine that hung is recovered. */
    private void detectTimeouts() {
        try {
            try (AdapterState.Held held = a.change()) {
                for (EngineNode node : EngineNode.values()) {
                    // during a driver change, held submissions wait for the change, not for an engine
                    TdrWatchdog.Hang hang = a.stopped || seat.kmd() == null || changing.getAsBoolean() ? null
                            : watchdog.hung(node, a.contexts.values());
                    if (hang != null && responsive(node)) {
                        watchdog.progressed(node); // busy, not hung (DxgkDdiQueryEngineStatus): another TdrDelay
                    } else if (hang != null) {
                        timeoutLocked(hang.node(), hang.context(), hang.fence());
                    }
                }
            }
            seat.settleReplay(); // a TDR limit may have attached another driver
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "adapter " + a.index + ": TDR watchdog failed", e);
        }
    }

    /** DxgkDdiQueryEngineStatus: whether the driver says the engine of {@code node} is making progress. */
    private boolean responsive(EngineNode node) {
        try {
            return seat.kmd().queryEngineStatus(node);
        } catch (RuntimeException e) {
            return false; // a driver that cannot say is not believed
        }
    }

    /**
     * TDR: the device that hung is put in error (its fences complete with an error), the engine is
     * reset, other devices' queued work is resubmitted; past TdrLimitCount within TdrLimitTime the
     * driver is given up and the next best one tried.
     */
    private void timeoutLocked(EngineNode node, ContextState context, long fence) {
        DeviceState hung = context.device;
        TdrPolicy tdr = watchdog.policy();
        GpuFault pending = a.faults.pending(hung.handle, hung.pid, node, hung.pasid, 0, false, "TIMEOUT: fence " + fence
                + " of context 0x" + Long.toHexString(context.handle) + " made no progress for " + tdr.delayMillis + " ms",
                "engine reset pending", a.index);
        hung.fault(); // after the record: its waiters find the timeout in vidmm:faults
        String outcome;
        try {
            seat.kmd().resetEngine(node);
            outcome = "engine reset (TDR)";
        } catch (RuntimeException e) {
            outcome = "engine reset failed: " + e.getMessage();
        }
        watchdog.progressed(node);
        if (!tdr.timedOut(System.currentTimeMillis())) {
            // resolved before the others' work goes again: whoever sees that complete finds the outcome
            GpuFault done = a.faults.resolve(pending, outcome);
            resubmitLocked(EnumSet.of(node), Set.copyOf(hung.contexts()));
            posted(VidMmEvents.TIMEOUT, done);
            return;
        }
        resubmitLocked(EnumSet.of(node), Set.copyOf(hung.contexts()));
        String why = "TDR limit: more than " + tdr.limitCount + " timeouts within " + tdr.limitWindowMillis / 1000 + " s";
        outcome += "; " + why + ": " + seat.giveUpLocked(why, false).name() + " given up";
        posted(VidMmEvents.TIMEOUT, a.faults.resolve(pending, outcome));
    }

    /** Posts {@code record} (a fault recorded or resolved) as event {@code topic}. */
    private void posted(String topic, GpuFault record) {
        a.post(topic, () -> VidMmEventProperties.fault(record));
    }

    /** Waits until recovery work queued so far has run (tests and the shell use it). */
    void awaitRecovery() throws Exception {
        recovery.submit(() -> { }).get(5, TimeUnit.SECONDS);
    }
}
