package vidmm.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

import os.memmgr.MemoryManager;
import vidmm.VidMmEvents;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * What VidMm's adapters share: handles, unique across adapters (so a device or context handle names
 * its adapter, which this routes to), shared allocations (a section any adapter may open), the
 * PASID users of each IOMMU unit, monitored fences (which any adapter's GPU may write), and the Event
 * Admin VidMm posts to.
 */
final class VidMmKernel implements AdapterVidMm.Kernel {
    private final AtomicLong handles = new AtomicLong(0x100);
    private final Map<Long, AdapterVidMm> deviceAdapters = new ConcurrentHashMap<>();
    private final Map<Long, AdapterVidMm> contextAdapters = new ConcurrentHashMap<>();
    private final Map<Long, AllocationState> shared = new ConcurrentHashMap<>();
    private final PasidUsers pasidUsers;
    private final SyncObjects syncObjects;
    /** Faults, resets, driver changes and presents go to it as events ({@link VidMmEvents}) when there is one. */
    private volatile EventAdmin events;

    VidMmKernel(MemoryManager mm, SyncObjects syncObjects) {
        this.pasidUsers = new PasidUsers(mm);
        this.syncObjects = syncObjects;
    }

    /** The Event Admin to post to, or null for none. */
    void events(EventAdmin admin) {
        events = admin;
    }

    EventAdmin events() {
        return events;
    }

    AdapterVidMm ofContext(long context) {
        return byHandle(contextAdapters, "context", context);
    }

    AdapterVidMm ofDevice(long device) {
        return byHandle(deviceAdapters, "device", device);
    }

    /** What {@code handle} names in {@code byHandle}; INVALID_HANDLE naming {@code what} if nothing. */
    private static <T> T byHandle(Map<Long, T> byHandle, String what, long handle) {
        T t = byHandle.get(handle);
        if (t == null) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, "no " + what + " has handle 0x" + Long.toHexString(handle));
        }
        return t;
    }

    @Override
    public long nextHandle() {
        return handles.incrementAndGet();
    }

    @Override
    public int acquirePasid(int pid, int unit) {
        return pasidUsers.acquire(pid, unit);
    }

    @Override
    public void releasePasid(int pid, int unit) {
        pasidUsers.release(pid, unit);
    }

    @Override
    public AllocationState shared(long sharedHandle) {
        return shared.get(sharedHandle);
    }

    @Override
    public void sharedCreated(AllocationState a) {
        shared.put(a.handle, a);
    }

    @Override
    public void sharedDestroyed(AllocationState a) {
        shared.remove(a.handle, a);
    }

    @Override
    public void deviceCreated(long handle, AdapterVidMm adapter) {
        deviceAdapters.put(handle, adapter);
    }

    @Override
    public void deviceDestroyed(long handle) {
        deviceAdapters.remove(handle);
    }

    @Override
    public void contextCreated(long handle, AdapterVidMm adapter) {
        contextAdapters.put(handle, adapter);
    }

    @Override
    public void contextDestroyed(long handle) {
        contextAdapters.remove(handle);
    }

    @Override
    public void monitoredFencesWritten(int pid) {
        syncObjects.refresh(pid);
    }

    @Override
    public void post(String topic, Supplier<Map<String, Object>> lazyProperties) {
        EventAdmin admin = events;
        if (admin != null) {
            Map<String, Object> properties = lazyProperties.get();
            if (!properties.containsKey(VidMmEvents.NANOS)) {
                properties = new HashMap<>(properties);
                properties.put(VidMmEvents.NANOS, System.nanoTime());
            }
            try {
                admin.postEvent(new Event(topic, properties));
            } catch (RuntimeException stopping) {
                // an Event Admin that is going away: the model goes on without it
            }
        }
    }
}
