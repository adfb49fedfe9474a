package itest;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import gpu.hw.GpuAdapter;
import gpu.hw.PciIdentity;
import kmd.api.AdapterInfo;
import kmd.api.DisplayDriver;
import kmd.api.DriverCaps;
import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.SegmentDescriptor;
import kmd.api.VidMmCaps;
import kmd.api.callbacks.InterruptNotification;
import kmd.sdk.AdapterContext;

/**
 * A fault-injecting kernel-mode driver for the in-framework tests only: it drives 1234:2222 (score 9,
 * above every real driver) correctly until told to misbehave: never complete a submission, block in a
 * named DDI, throw in the Nth DDI call from now, report a page fault on an address, or send an
 * interrupt for a device or fence it never had.
 */
final class FaultyDriver implements DisplayDriver {
    /** Its context on the adapter: a correct driver built on kmd.sdk. */
    static final class Context extends AdapterContext {
        Context(GpuAdapter gpu) {
            super("faulty", gpu, 2, 0xF000);
        }

        @Override
        public AdapterInfo queryAdapterInfo() {
            return new AdapterInfo("faulty KMD", new VidMmCaps(true, true, false, false, false),
                    new DriverCaps(gpu.aperture().size()), List.of(new SegmentDescriptor(1, "system", 0, true, false),
                    new SegmentDescriptor(2, "aperture", gpu.aperture().size(), true, true)));
        }

        /** Sends DxgkCbNotifyInterrupt as the hardware would not. */
        void notify(InterruptNotification n) {
            notifyVidMm(n);
        }

        /** The newest context handle VidMm created here. */
        long newestContext() {
            var contexts = handles.contexts();
            return contexts.get(contexts.size() - 1).handle();
        }
    }

    volatile boolean neverComplete;
    volatile String blockIn;
    final AtomicInteger throwIn = new AtomicInteger(-1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile Context context;

    @Override
    public int match(PciIdentity adapter) {
        return adapter.deviceId() == 0x2222 ? 9 : NO_MATCH;
    }

    @Override
    public KernelModeDriver addDevice(GpuAdapter adapter) {
        Context c = new Context(adapter);
        context = c;
        return (KernelModeDriver) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {KernelModeDriver.class},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.invoke(c, args);
                    }
                    if (method.getName().equals(blockIn)) {
                        release.await();
                    }
                    if (throwIn.getAndDecrement() == 1) {
                        throw new IllegalStateException("injected failure in " + method.getName());
                    }
                    if (neverComplete && method.getName().startsWith("submitCommand")) { // a list or a buffer
                        return null; // queued nowhere: its fence never completes
                    }
                    try {
                        return method.invoke(c, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Override
    public void removeDevice(KernelModeDriver removed) {
    }

    /** A page fault the hardware did not raise: on {@code va} of {@code hContext}'s work at {@code fence}. */
    void pageFault(long hContext, long fence, long va, int pasid) {
        context.notify(new InterruptNotification.DmaPageFaulted(EngineNode.RENDER, 0, hContext, fence, va,
                kmd.api.callbacks.PageFaultFlags.WRITE | kmd.api.callbacks.PageFaultFlags.IOMMU
                        | kmd.api.callbacks.PageFaultFlags.ENGINE_RESET_REQUIRED | kmd.api.callbacks.PageFaultFlags.HW_CONTEXT_VALID,
                kmd.api.callbacks.FaultErrorCode.PAGE_FAULT, 0, pasid, "NOT_PRESENT"));
    }

    /** A completion of a SubmissionFenceId VidMm never gave on a node (the copy node, where nothing was submitted). */
    void completionOfUnknownDevice() {
        context.notify(new InterruptNotification.DmaCompleted(EngineNode.COPY, 0, 0xDEAD));
    }

    /** A completion of a SubmissionFenceId far past what VidMm gave on the render node. */
    void completionOfUnknownFence(long hContext) {
        context.notify(new InterruptNotification.DmaCompleted(EngineNode.RENDER, 0, 1_000_000));
    }
}
