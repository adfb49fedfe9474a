package vidmm.internal;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.callbacks.InterruptNotification;
import vidmm.FenceWait;
import vidmm.GpuFault;
import vidmm.VidMmEvents;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

import static vidmm.internal.Calls.ddi;
import static vidmm.internal.Calls.quietly;

/**
 * Work on one adapter's engines: submission, fences, interrupts, and recovery: a GPU page fault
 * resets the engine (escalating to an adapter reset), a submission that makes no progress for
 * TdrDelay is a timeout (TDR), and other devices' queued work is resubmitted after a reset.
 * Interrupts arrive on engine threads and touch only contexts' and synchronization objects' fence
 * state; recovery runs on the
 * adapter's own thread, under the adapter's lock.
 */
final class GpuWork {
    private static final System.Logger LOG = System.getLogger(GpuWork.class.getName());

    private final AdapterVidMm a;
    private final TdrWatchdog watchdog;
    private final ExecutorService recovery;

    GpuWork(AdapterVidMm adapter, TdrPolicy tdr) {
        this.a = adapter;
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
     * DRIVER_HUNG and let the adapter's lock go; the recovery thread gives the driver up.
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
        synchronized (a.lock) {
            if (a.stopped || !a.drivers.guards(guard)) {
                return; // detached meanwhile
            }
            for (DeviceState d : a.devices.values()) {
                if (!d.idle()) {
                    d.fault(); // work the hung driver will never report
                }
            }
            AdapterDrivers.Candidate given = a.drivers.giveUpLocked("hung in " + ddi + " for more than " + ddiDelayMillis()
                    + " ms (TdrDdiDelay)", true);
            KernelModeDriver kmd = a.kmd();
            for (EngineNode node : EngineNode.values()) {
                watchdog.progressed(node);
            }
            String outcome = given.name() + " given up; " + (kmd == null ? "no other driver: adapter stopped"
                    : a.drivers.attached().name() + " attached");
            record = a.faults.pending(0, 0, null, 0, 0, false, "TIMEOUT: " + given.name() + " did not return from " + ddi
                    + " within " + ddiDelayMillis() + " ms", outcome, a.index);
        }
        a.drivers.settleReplay();
        posted(VidMmEvents.TIMEOUT, record);
    }

    /** A driver was attached: the TDR count starts again, and so does every engine's clock. */
    void attached() {
        watchdog.policy().reset();
        for (EngineNode node : EngineNode.values()) {
            watchdog.progressed(node);
        }
    }

    // ---- submission ----

    long submit(long context, List<DmaCommand> commands) {
        return submit(context, commands, null, 0);
    }

    /**
     * Submits on a context; when {@code sync} is given, the submission signals it to {@code value}
     * once complete. Behind a GPU wait not yet satisfied the submission is held back: it gets its
     * fence now and goes to the driver when the wait is satisfied.
     */
    long submit(long context, List<DmaCommand> commands, SyncObjectState sync, long value) {
        synchronized (a.lock) {
            a.requireStarted();
            ContextState c = a.contextLocked(context);
            DeviceState d = c.device;
            AdapterVidMm.requireActive(d);
            if (commands == null || commands.isEmpty()) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "a submission needs at least one command");
            }
            // WDDM 2: residency is the UMD's (MakeResident / Evict) alone; a submission pins nothing. What
            // its commands reach that is not resident, the IOMMU's page requests bring in.
            long fence = c.nextFence(commands, sync, value);
            long submitted = System.nanoTime();
            if (c.blocked()) {
                c.hold(fence); // behind a GPU wait: the driver gets it when the wait is satisfied
            } else {
                KernelModeDriver kmd = a.kmd();
                try {
                    ddi("DxgkDdiSubmitCommand", () -> kmd.submitCommand(c.kmdHandle, commands, fence));
                } catch (VidMmException e) {
                    c.withdraw(fence);
                    throw e;
                }
            }
            a.post(VidMmEvents.SUBMIT, () -> VidMmEventProperties.submission(d.handle, c.handle, d.pid, d.pasid, c.node,
                    fence, commands, submitted));
            return fence;
        }
    }

    /**
     * WaitForSynchronizationObjectFromGpu: what the context is given after this waits until
     * {@code sync} reaches {@code value}. VidMm holds it back (the driver never sees a wait) and
     * hands it to the driver, on the adapter's own thread, once the value is reached. A wait that
     * is never satisfied is a timeout (TDR) of the context.
     */
    void waitFromGpu(long context, SyncObjectState sync, long value) {
        synchronized (a.lock) {
            a.requireStarted();
            ContextState c = a.contextLocked(context);
            AdapterVidMm.requireActive(c.device);
            if (sync.reached(value) && !c.blocked()) {
                return; // satisfied already: nothing to hold back
            }
            boolean first = !c.blocked();
            c.holdUntil(sync, value);
            if (first) {
                sync.whenReached(value, () -> releaseHeld(c));
            }
        }
    }

    /** A GPU wait of {@code c} (or a driver change) may be over: its held stream goes on, on the adapter's own thread. */
    void releaseHeld(ContextState c) {
        try {
            recovery.execute(() -> {
                synchronized (a.lock) {
                    releaseHeldLocked(c);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // VidMm is stopping: nothing runs on
        }
    }

    /** Gives the driver what of {@code c}'s held stream may go now, in order (see {@link ContextState#releasable}). */
    void releaseHeldLocked(ContextState c) {
        KernelModeDriver kmd = a.kmd();
        if (kmd == null || !c.device.active()) {
            return; // no driver, or its device is in error: nothing of it runs
        }
        for (ContextState.Step step : c.releasable()) {
            if (step instanceof ContextState.GpuWait w) {
                w.sync().whenReached(w.value(), () -> releaseHeld(c)); // the next wait in its stream
            } else if (step instanceof ContextState.Submit held) {
                quietly(() -> kmd.submitCommand(c.kmdHandle, held.commands(), held.fence()));
            }
        }
    }

    FenceWait waitForFence(long context, long fence, long timeoutMillis) {
        ContextState c;
        synchronized (a.lock) {
            c = a.contextLocked(context);
        }
        try {
            return c.await(fence, Math.max(0, timeoutMillis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return FenceWait.TIMED_OUT;
        }
    }

    /**
     * No work of a device that goes may run once its PASID can be given to another process. First,
     * without the adapter's lock (invariant 7), the caller waits up to two seconds for its contexts
     * to finish ({@link #awaitIdle}); then, under the lock, {@link #cutOffLocked} resets the engines
     * that may still hold its work, without waiting.
     */
    static void awaitIdle(List<ContextState> contexts) {
        long deadline = System.nanoTime() + 2_000_000_000L;
        for (ContextState c : contexts) {
            try {
                c.awaitIdle(deadline);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return; // cut off at once
            }
        }
    }

    /**
     * A driver change waits, without the adapter's lock, until the deadline at most, for what the
     * going driver was given by {@code contexts} (their held submissions go to the next driver).
     */
    static void awaitGiven(List<ContextState> contexts, long deadlineNanos) {
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
     * Cuts off what of {@code contexts} may still be on an engine (queued, or put in error by VidMm
     * while the engine may hold it): their engines are reset and the other contexts' work there is
     * resubmitted. Waits for nothing.
     */
    void cutOffLocked(List<ContextState> contexts) {
        if (a.kmd() == null) {
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
        KernelModeDriver kmd = a.kmd();
        for (EngineNode node : nodes) {
            quietly(() -> kmd.resetEngine(node));
            watchdog.progressed(node);
        }
        resubmitLocked(nodes, Set.copyOf(contexts));
    }

    // ---- interrupts and recovery ----

    void interrupt(InterruptNotification n) {
        if (n.contextHandle() == 0 && n instanceof InterruptNotification.DmaCompleted) {
            a.pagingFence.completed(n.fenceValue());
            return;
        }
        ContextState c = a.drivers.contextOf(n.contextHandle());
        if (n instanceof InterruptNotification.DmaCompleted done) {
            if (c == null) {
                LOG.log(System.Logger.Level.WARNING, "adapter " + a.index + ": the driver reported fence " + n.fenceValue()
                        + " of an unknown context 0x" + Long.toHexString(n.contextHandle()) + "; ignored");
            } else if (!completed(c, n.fenceValue())) {
                LOG.log(System.Logger.Level.WARNING, "adapter " + a.index + ": the driver reported fence " + n.fenceValue()
                        + " of context 0x" + Long.toHexString(c.handle) + ", which never submitted it; ignored");
            } else {
                watchdog.progressed(done.node());
                a.post(VidMmEvents.FENCE_COMPLETED, () -> VidMmEventProperties.completion(c.device.handle, c.handle,
                        n.fenceValue()));
            }
            return;
        }
        InterruptNotification.DmaPageFaulted f = (InterruptNotification.DmaPageFaulted) n;
        DeviceState d = c == null ? null : c.device;
        GpuFault record = a.faults.pending(d == null ? 0 : d.handle, d == null ? 0 : d.pid, f.node(), f.pasid(),
                f.faultedVa(), f.write(), f.reason(), "engine reset pending", a.index);
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

    /** Completes the context's fences up to {@code fence}, then the monitored fences they signal. */
    private static boolean completed(ContextState c, long fence) {
        if (!c.completed(fence)) {
            return false;
        }
        for (ContextState.Pending p : c.takeSignals()) {
            p.signal().signalled(p.signalValue());
        }
        return true;
    }

    /** Resets the faulted engine (escalating to an adapter reset), then resubmits other devices' work. */
    private void recover(InterruptNotification.DmaPageFaulted f, GpuFault pending) {
        String outcome;
        synchronized (a.lock) {
            if (a.kmd() == null) {
                return; // the driver went away meanwhile; nothing to reset
            }
            Set<EngineNode> dropped = EnumSet.of(f.node());
            try {
                a.kmd().resetEngine(f.node());
                outcome = "engine reset";
            } catch (RuntimeException engineResetFailed) {
                dropped = EnumSet.allOf(EngineNode.class);
                outcome = "adapter reset (engine reset failed: " + engineResetFailed.getMessage() + ")" + resetAdapterLocked();
            }
            ContextState faulted = a.drivers.contextOf(f.contextHandle());
            resubmitLocked(dropped, faulted == null ? Set.of() : Set.copyOf(faulted.device.contexts()));
        }
        a.drivers.settleReplay();
        posted(VidMmEvents.ENGINE_RESET, a.faults.resolve(pending, outcome));
    }

    /**
     * The adapter reset: exclusive access, StopDevice, every engine reset (which empties the GPUs'
     * device TLBs), then the same driver started again and its devices replayed; returns what went
     * wrong on the way ("" if nothing). Under the adapter's lock.
     */
    private String resetAdapterLocked() {
        AdapterDrivers.Candidate current = a.drivers.attached();
        AdapterDrivers.Candidate same = a.drivers.present(current) ? current : null;
        a.drivers.detachLocked(stopped -> { // exclusive access, StopDevice, then the hardware reset
            for (EngineNode node : EngineNode.values()) {
                quietly(() -> stopped.resetEngine(node));
            }
        });
        String refusal = same == null ? "driver gone" : a.drivers.attachLocked(same); // AddDevice, start, replay
        if (refusal != null) {
            a.drivers.attachBestLocked();
            return "; restarting the driver failed: " + refusal;
        }
        return "";
    }

    /**
     * The IOMMU unit reported that physical GPU {@code physicalGpu} did not answer a device-TLB invalidation in
     * time (the OS told VidMm, see {@code os.memmgr.IommuDeviceListener}): the unit refuses the GPU's
     * translated requests until the GPU is reset, so the adapter is reset (TDR path) on its own thread
     * and every context's queued work is resubmitted.
     */
    void deviceTlbTimedOut(int physicalGpu, int unit, String device) {
        GpuFault pending = a.faults.pending(0, 0, null, 0, 0, false, "DEVICE_TLB_TIMEOUT: GPU " + physicalGpu + " (" + device
                + ") did not answer a device-TLB invalidation of IOMMU unit " + unit + " in time", "adapter reset pending", a.index);
        Runnable reset = () -> {
            String outcome;
            synchronized (a.lock) {
                if (a.kmd() == null) {
                    outcome = "no driver: the GPU is reset when one attaches";
                    a.gpu.resetEngine(gpu.hw.EngineType.COPY); // empties the device TLB; the unit accepts the GPU again
                } else {
                    outcome = "adapter reset" + resetAdapterLocked();
                    resubmitLocked(EnumSet.allOf(EngineNode.class), Set.of());
                }
            }
            a.drivers.settleReplay();
            posted(VidMmEvents.ENGINE_RESET, a.faults.resolve(pending, outcome));
        };
        try {
            recovery.execute(reset);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // VidMm is stopping: the GPU stops with it
        }
    }

    /**
     * Resubmits the queued work of every active context on {@code nodes} (an engine reset dropped
     * it), except {@code skip}'s (a fault may not have put them in error yet).
     */
    void resubmitLocked(Set<EngineNode> nodes, Set<ContextState> skip) {
        KernelModeDriver kmd = a.kmd();
        if (kmd == null) {
            return;
        }
        for (ContextState c : a.contexts.values()) {
            if (!skip.contains(c) && nodes.contains(c.node) && c.device.active()) {
                c.pendingCopy().forEach((fence, p) -> quietly(() -> kmd.submitCommand(c.kmdHandle, p.commands(), fence)));
            }
        }
    }

    // ---- timeout detection and recovery ----

    /** The watchdog's tick: an engine that hung is recovered. */
    private void detectTimeouts() {
        try {
            synchronized (a.lock) {
                for (EngineNode node : EngineNode.values()) {
                    // during a driver change, held submissions wait for the change, not for an engine
                    TdrWatchdog.Hang hang = a.stopped || a.kmd() == null || a.drivers.changing() ? null
                            : watchdog.hung(node, a.contexts.values());
                    if (hang != null) {
                        timeoutLocked(hang.node(), hang.context(), hang.fence());
                    }
                }
            }
            a.drivers.settleReplay(); // a TDR limit may have attached another driver
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "adapter " + a.index + ": TDR watchdog failed", e);
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
            a.kmd().resetEngine(node);
            outcome = "engine reset (TDR)";
        } catch (RuntimeException e) {
            outcome = "engine reset failed: " + e.getMessage();
        }
        watchdog.progressed(node);
        resubmitLocked(EnumSet.of(node), Set.copyOf(hung.contexts()));
        if (tdr.timedOut(System.currentTimeMillis())) {
            String why = "TDR limit: more than " + tdr.limitCount + " timeouts within " + tdr.limitWindowMillis / 1000 + " s";
            outcome += "; " + why + ": " + a.drivers.giveUpLocked(why, false).name() + " given up";
        }
        posted(VidMmEvents.TIMEOUT, a.faults.resolve(pending, outcome));
    }

    /** Posts {@code record} (a fault recorded or resolved) as event {@code topic}. */
    private void posted(String topic, GpuFault record) {
        a.post(topic, () -> VidMmEventProperties.fault(record));
    }

    /** Runs {@code task} on the adapter's own thread, under the adapter's lock (work a paging fence made due). */
    void later(Runnable task) {
        Runnable locked = () -> {
            synchronized (a.lock) {
                task.run();
            }
        };
        try {
            recovery.execute(locked);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            locked.run(); // the adapter is stopped: its own thread is gone, so this one does it
        }
    }

    /** Waits until recovery work queued so far has run (tests and the shell use it). */
    void awaitRecovery() throws Exception {
        recovery.submit(() -> { }).get(5, TimeUnit.SECONDS);
    }
}
