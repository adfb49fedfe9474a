package vidmm.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import vidmm.DeviceInfo;

/**
 * One device: its allocations and contexts (the attached driver's handle of it is in its
 * {@link DriverHandles}). The device does not run work itself:
 * its contexts do, each with its own fences ({@link ContextState}). A fault of any of its work puts
 * the device in error, and with it every context (as a WDDM device is lost). The status and the
 * context list are safe to read from interrupt threads; the rest is guarded by VidMm's lock.
 */
final class DeviceState {
    final long handle;
    final int pid;
    final int pasid;
    final int adapter;
    /** The physical GPU its shorthand contexts ({@code vidmm:submit DEVICE}) run on. */
    final int defaultGpu;
    final Map<Long, AllocationState> allocations = new LinkedHashMap<>();
    private final List<ContextState> contexts = new CopyOnWriteArrayList<>();
    private volatile DeviceInfo.Status status = DeviceInfo.Status.ACTIVE;
    /** Set when it is being destroyed: it takes no more work or contexts. Written under VidMm's lock. */
    private volatile boolean closing;

    DeviceState(long handle, int pid, int pasid, int adapter, int defaultGpu) {
        this.handle = handle;
        this.adapter = adapter;
        this.pid = pid;
        this.pasid = pasid;
        this.defaultGpu = defaultGpu;
    }

    /** Its contexts, oldest first. */
    List<ContextState> contexts() {
        return contexts;
    }

    void added(ContextState c) {
        contexts.add(c);
    }

    void removed(ContextState c) {
        contexts.remove(c);
    }

    /** The device is lost: every context in error, nothing of it completes any more. */
    void fault() {
        status = DeviceInfo.Status.ERROR;
        for (ContextState c : contexts) {
            c.fault();
        }
    }

    /** It takes no more work or contexts (it is being destroyed); returns its contexts, whose work is waited for next. */
    List<ContextState> close() {
        closing = true;
        return List.copyOf(contexts);
    }

    boolean closing() {
        return closing;
    }

    boolean active() {
        return status == DeviceInfo.Status.ACTIVE;
    }

    /** Whether none of its contexts has work queued. */
    boolean idle() {
        for (ContextState c : contexts) {
            if (!c.idle()) {
                return false;
            }
        }
        return true;
    }

    /** Whether everything its contexts gave the driver completed (held submissions aside). */
    boolean givenIdle() {
        for (ContextState c : contexts) {
            if (!c.givenIdle()) {
                return false;
            }
        }
        return true;
    }

    DeviceInfo info() {
        List<Long> handles = new ArrayList<>();
        for (ContextState c : contexts) {
            handles.add(c.handle);
        }
        return new DeviceInfo(handle, pid, pasid, status, handles, adapter);
    }
}
