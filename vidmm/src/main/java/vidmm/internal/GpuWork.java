package vidmm.internal;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import kmd.api.DmaCommand;
import kmd.api.KernelModeDriver;
import kmd.api.callbacks.InterruptNotification;
import kmd.api.callbacks.PageFaultFlags;
import vidmm.FenceWait;
import vidmm.VidMmEvents;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

import static vidmm.internal.Calls.ddi;
import static vidmm.internal.Calls.quietly;

/**
 * Work on one adapter's engines: submission on a context (held back behind GPU waits and driver
 * changes), fences and their waits, and interrupts. Interrupts arrive on engine threads and touch
 * only contexts' and synchronization objects' fence state; a fault is handed to {@link Recovery}.
 * What a GPU wait or a paging fence made due runs on the adapter's worker thread, as a change of the
 * adapter (its call order and lock); a monitored fence written from a command buffer is read again
 * there too, without them.
 */
final class GpuWork {
    private static final System.Logger LOG = System.getLogger(GpuWork.class.getName());

    private final AdapterState a;
    private final DriverSeat seat;
    private final PagingFence pagingFence;
    private final Recovery recovery;
    /** The adapter's worker: releases of held submissions and tasks paging fences made due. */
    private final ExecutorService worker;

    GpuWork(AdapterState adapter, DriverSeat seat, PagingFence pagingFence, Recovery recovery) {
        this.a = adapter;
        this.seat = seat;
        this.pagingFence = pagingFence;
        this.recovery = recovery;
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "vidmm-worker-" + adapter.index);
            t.setDaemon(true);
            return t;
        });
    }

    void stop() {
        worker.shutdown();
    }

    // ---- submission ----

    long submit(long context, List<DmaCommand> commands) {
        return submit(context, commands, null, 0);
    }

    /** Submits VidMm's own commands on a context; see {@link #submit(long, Work, SyncObjectState, long)}. */
    long submit(long context, List<DmaCommand> commands, SyncObjectState sync, long value) {
        if (commands == null || commands.isEmpty()) {
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "a submission needs at least one command");
        }
        return submit(context, new Work.Commands(commands), sync, value);
    }

    /**
     * D3DKMTSubmitCommand of a command buffer the process wrote at {@code va} ({@code length} bytes):
     * the driver gets its address and size (DxgkDdiSubmitCommandVirtual); VidMm does not read it.
     */
    long submitBuffer(long context, long va, int length) {
        if (length <= 0 || length > gpu.hw.BufferSubmission.MAX_BYTES) {
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "a command buffer must be 1.."
                    + gpu.hw.BufferSubmission.MAX_BYTES + " bytes, not " + length);
        }
        if (va <= 0 || (va >>> 47) != 0 || ((va + length - 1) >>> 47) != 0) {
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "command buffer 0x" + Long.toHexString(va) + " of "
                    + length + " bytes is not in a process's user address space");
        }
        return submit(context, new Work.Buffer(va, length), null, 0);
    }

    /**
     * Submits on a context; when {@code sync} is given, the submission signals it to {@code value}
     * once complete. Behind a GPU wait not yet satisfied the submission is held back: it gets its
     * fence now and goes to the driver when the wait is satisfied.
     */
    private long submit(long context, Work work, SyncObjectState sync, long value) {
        try (AdapterState.Held held = a.change()) {
            seat.requireStarted();
            ContextState c = a.contextLocked(context);
            DeviceState d = c.device;
            AdapterState.requireActive(d);
            // WDDM 2: residency is the UMD's (MakeResident / Evict) alone; a submission pins nothing. What its
            // commands reach that is not resident faults under the OS's windows policy, comes in by page requests under sva.
            long fence = c.nextFence(work, sync, value);
            long submitted = System.nanoTime();
            if (c.blocked()) {
                c.hold(fence); // behind a GPU wait: the driver gets it when the wait is satisfied
            } else {
                KernelModeDriver kmd = seat.kmd();
                try {
                    long hContext = seat.handles().of(c);
                    ddi(work.ddi(), () -> a.nodeFences.submit(c, fence, id -> work.submitTo(kmd, hContext, id)));
                } catch (VidMmException e) {
                    c.withdraw(fence);
                    throw e;
                }
            }
            a.post(VidMmEvents.SUBMIT, () -> VidMmEventProperties.submission(d.handle, c.handle, d.pid, d.pasid, c.node,
                    fence, work, submitted));
            return fence;
        }
    }

    /**
     * WaitForSynchronizationObjectFromGpu: what the context is given after this waits until
     * {@code sync} reaches {@code value}. VidMm holds it back (the driver never sees a wait) and
     * hands it to the driver, on the adapter's worker thread, once the value is reached. A wait that
     * is never satisfied is a timeout (TDR) of the context.
     */
    void waitFromGpu(long context, SyncObjectState sync, long value) {
        try (AdapterState.Held held = a.change()) {
            seat.requireStarted();
            ContextState c = a.contextLocked(context);
            AdapterState.requireActive(c.device);
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

    /** A GPU wait of {@code c} (or a driver change) may be over: its held stream goes on, on the adapter's worker thread. */
    void releaseHeld(ContextState c) {
        try {
            worker.execute(() -> {
                try (AdapterState.Held held = a.change()) {
                    releaseHeldLocked(c);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // VidMm is stopping: nothing runs on
        }
    }

    /** Gives the driver what of {@code c}'s held stream may go now, in order (see {@link ContextState#releasable}). */
    void releaseHeldLocked(ContextState c) {
        KernelModeDriver kmd = seat.kmd();
        DriverHandles handles = seat.handles();
        if (kmd == null || !c.device.active() || !handles.knows(c)) {
            return; // no driver, its device is in error, or it was destroyed: nothing of it runs
        }
        long hContext = handles.of(c);
        for (ContextState.Step step : c.releasable()) {
            if (step instanceof ContextState.GpuWait w) {
                w.sync().whenReached(w.value(), () -> releaseHeld(c)); // the next wait in its stream
            } else if (step instanceof ContextState.Submit held) {
                quietly(() -> a.nodeFences.submit(c, held.fence(), id -> held.work().submitTo(kmd, hContext, id)));
            }
        }
    }

    FenceWait waitForFence(long context, long fence, long timeoutMillis) {
        ContextState c;
        try (AdapterState.Held held = a.read()) {
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

    // ---- interrupts ----

    void interrupt(InterruptNotification n) {
        if (n instanceof InterruptNotification.MonitoredFenceSignaled m) {
            ContextState c = seat.contextOf(m.contextHandle());
            if (c != null) { // its process's monitored fences are read again on the worker, not on the engine's thread
                int pid = c.device.pid;
                try {
                    worker.execute(() -> a.fencesWritten(pid));
                } catch (java.util.concurrent.RejectedExecutionException stopped) {
                    // VidMm is stopping: nobody waits any more
                }
            }
            return;
        }
        if (n instanceof InterruptNotification.DmaCompleted done) {
            NodeFences.Entry e = a.nodeFences.completed(done.node(), done.engineOrdinal(), done.submissionFenceId());
            if (e == null) {
                LOG.log(System.Logger.Level.WARNING, "adapter " + a.index + ": the driver reported SubmissionFenceId "
                        + done.submissionFenceId() + " of node " + done.node() + " engine " + done.engineOrdinal()
                        + ", which is not outstanding; ignored");
            } else if (e.context() == null) {
                pagingFence.completed(e.fence());
            } else if (completed(e.context(), e.fence())) {
                ContextState c = e.context();
                recovery.progressed(done.node());
                a.post(VidMmEvents.FENCE_COMPLETED, () -> VidMmEventProperties.completion(c.device.handle, c.handle, e.fence()));
            }
            return;
        }
        InterruptNotification.DmaPageFaulted f = (InterruptNotification.DmaPageFaulted) n;
        // FaultedFenceId is the SubmissionFenceId of the node (NodeOrdinal) of the physical GPU (EngineOrdinal):
        // VidMm knows the submission, and so the context, by it
        ContextState named = seat.contextOf(f.contextHandle());
        NodeFences.Entry e = a.nodeFences.of(f.node(), f.engineOrdinal(), f.faultedFenceId());
        ContextState c = e != null && e.context() != null ? e.context() : named;
        if (e != null && e.context() != null && (f.pageFaultFlags() & PageFaultFlags.FENCE_INVALID) == 0 && e.fence() > 1) {
            // the WDK: the submission with FaultedFenceId faulted, so the context's earlier ones are complete
            completed(e.context(), e.fence() - 1);
        }
        recovery.pageFaulted(f, c);
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

    /** Runs {@code task} on the adapter's worker thread as a change of the adapter (work a paging fence made due). */
    void later(Runnable task) {
        Runnable locked = () -> {
            try (AdapterState.Held held = a.change()) {
                task.run();
            }
        };
        try {
            worker.execute(locked);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            locked.run(); // the adapter is stopped: its worker is gone, so this one does it
        }
    }

    /** Waits until the worker's tasks queued so far have run (tests and the shell use it). */
    void awaitWorker() throws Exception {
        worker.submit(() -> { }).get(5, TimeUnit.SECONDS);
    }
}
