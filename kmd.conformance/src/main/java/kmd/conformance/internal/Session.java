package kmd.conformance.internal;

import java.util.ArrayList;
import java.util.List;

import gpu.hw.GpuAdapter;
import kmd.api.AdapterInfo;
import kmd.api.DisplayDriver;
import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.PagingOperation;
import kmd.api.SegmentDescriptor;
import os.memmgr.MemoryManager;

/**
 * One driver context on the adapter, added and started by the kit as VidMm does it (AddDevice,
 * QueryAdapterInfo, StartDevice with the kit's {@link Interrupts}), and the processes a check made
 * through it. Closing it destroys what the check left, stops and removes the context, and ends the
 * kit's OS processes.
 */
final class Session implements AutoCloseable {
    /** How long the kit waits for any one completion or fault. */
    static final long WAIT_MILLIS = 5_000;
    /** How long a DDI may take before the kit gives it up (VidMm's TdrDdiDelay is 5 s too). */
    static final long DDI_MILLIS = 5_000;

    final DisplayDriver driver;
    final GpuAdapter gpu;
    final MemoryManager mm;
    private final DdiTimeout ddis;
    private KernelModeDriver kmd;
    /** The context as the driver made it, for RemoveDevice. */
    private KernelModeDriver made;
    private Interrupts interrupts;
    private AdapterInfo info;
    private final List<KitProcess> processes = new ArrayList<>();
    private long pagingFence;

    private Session(DisplayDriver driver, GpuAdapter gpu, MemoryManager mm, long ddiMillis) {
        this.driver = driver;
        this.gpu = gpu;
        this.mm = mm;
        this.ddis = new DdiTimeout(ddiMillis);
    }

    /** AddDevice, QueryAdapterInfo and StartDevice; every DDI given up after {@code ddiMillis}. */
    static Session start(DisplayDriver driver, GpuAdapter gpu, MemoryManager mm, long ddiMillis) {
        Session s = new Session(driver, gpu, mm, ddiMillis);
        try {
            s.startDevice();
        } catch (RuntimeException e) {
            s.ddis.close();
            throw e;
        }
        return s;
    }

    private void startDevice() {
        made = ddis.call("DxgkDdiAddDevice", () -> driver.addDevice(gpu));
        CheckFailed.require(made != null, "AddDevice returned no context");
        kmd = ddis.guard(made);
        info = kmd.queryAdapterInfo();
        interrupts = new Interrupts();
        kmd.startDevice(interrupts);
    }

    /**
     * StopDevice and RemoveDevice, then AddDevice and StartDevice of a new context, as a driver change
     * to the same driver does; the processes stay and must be replayed by the check. In between, the
     * kit clears the aperture and the scanout.
     */
    void restart() {
        kmd.stopDevice();
        ddis.call("DxgkDdiRemoveDevice", () -> {
            driver.removeDevice(made);
            return null;
        });
        // the display engine loses its state across a stop, as a real adapter's does in a reset: only
        // the driver's replay may bring the primary back
        for (int i = 0; i < gpu.displayModes().size(); i++) {
            gpu.setScanoutAddress(i, 0);
        }
        gpu.unmapAperture(0, gpu.aperture().pages());
        pagingFence = 0;
        startDevice();
    }

    KernelModeDriver kmd() {
        return kmd;
    }

    Interrupts interrupts() {
        return interrupts;
    }

    AdapterInfo info() {
        return info;
    }

    /** The driver's aperture segment, or a check failure naming what it reported. */
    SegmentDescriptor apertureSegment() {
        CheckFailed.require(info != null && info.segments() != null, "QueryAdapterInfo reported no segments");
        return info.segments().stream().filter(SegmentDescriptor::apertureSegment).findFirst()
                .orElseThrow(() -> new CheckFailed("QueryAdapterInfo reported no aperture segment: " + info.segments()));
    }

    /** An OS process bound to each physical GPU's IOMMU unit, and CreateProcess with its PASIDs. */
    KitProcess process() {
        int pid = mm.spawn("conformance-" + (processes.size() + 1));
        int[] pasids = new int[gpu.physicalGpus()];
        for (int g = 0; g < pasids.length; g++) {
            pasids[g] = mm.bindIommu(pid, gpu.iommuUnit(g));
        }
        KitProcess p;
        try {
            p = new KitProcess(this, pid, mm.addressSpace(pid), pasids, kmd.createProcess(pid, pasids.clone()));
        } catch (RuntimeException e) {
            mm.kill(pid);
            throw e;
        }
        processes.add(p);
        return p;
    }

    /** BuildPagingBuffer with the next paging fence (the paging node's next SubmissionFenceId), and waits for it (context 0). */
    void paging(PagingOperation op, String what) {
        long fence = ++pagingFence;
        kmd.buildPagingBuffer(op, interrupts.submitting(0, EngineNode.COPY, 0, fence, null));
        interrupts.await(0, fence, WAIT_MILLIS, what);
    }

    /** As {@link #paging} without waiting, for an operation the driver is expected to refuse. */
    void pagingRefused(PagingOperation op) {
        long fence = ++pagingFence;
        kmd.buildPagingBuffer(op, interrupts.submitting(0, EngineNode.COPY, 0, fence, null));
    }

    @Override
    public void close() {
        if (ddis.hung() != null) { // a driver that never returned is not called again
            processes.forEach(p -> quietly(() -> mm.kill(p.pid)));
            ddis.close();
            return;
        }
        for (KitProcess p : processes) {
            for (KitProcess.Device d : p.devices) {
                for (KitProcess.Context c : d.contexts) {
                    quietly(() -> interrupts.await(c.handle, c.lastFence(), 1_000, "close"));
                }
            }
        }
        quietly(kmd::stopDevice);
        quietly(() -> ddis.call("DxgkDdiRemoveDevice", () -> {
            driver.removeDevice(made);
            return null;
        }));
        for (KitProcess p : processes) {
            quietly(() -> mm.kill(p.pid));
        }
        ddis.close();
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            // closing: what failed was already reported by the check, or does not matter any more
        }
    }
}
