package vidmm.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.metatype.annotations.Designate;

import gpu.hw.GpuAdapter;
import kmd.api.AllocationFlag;
import kmd.api.DisplayDriver;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import kmd.api.VidPnSourceMode;
import os.memmgr.MemoryManager;
import os.memmgr.IommuDeviceListener;
import os.memmgr.ProcessListener;
import vidmm.AdapterHold;
import vidmm.AdapterStatus;
import vidmm.Allocation;
import vidmm.ApertureMapping;
import vidmm.ContextInfo;
import vidmm.DeviceInfo;
import vidmm.DriverBinding;
import vidmm.FenceWait;
import vidmm.GpuFault;
import vidmm.ProcessRegistration;
import vidmm.VidMm;
import vidmm.VidMmEvents;
import vidmm.VidMmException;
import vidmm.VidMmStatus;
import vidmm.VideoMemoryInfo;

/**
 * VidMm for the IoMmu model: one {@link AdapterVidMm} per GPU adapter, each with its own driver,
 * lock, aperture, residency, faults and display, and what they share: handles (unique across
 * adapters, so a device handle names its adapter), PASID registrations counted per IOMMU unit, and
 * shared allocations (a section any adapter may open). Adapters and driver services come and go
 * as OSGi services; every driver is offered to every adapter, which attaches its best match.
 */
@Component(service = {VidMm.class, ProcessListener.class, IommuDeviceListener.class}, immediate = true,
        configurationPid = VidMmConfig.PID)
@Designate(ocd = VidMmConfig.class)
public final class VideoMemoryManager implements VidMm, ProcessListener, IommuDeviceListener, AdapterVidMm.Kernel {
    private static final System.Logger LOG = System.getLogger(VideoMemoryManager.class.getName());
    static final long MAX_ALLOCATION = AdapterMemory.MAX_ALLOCATION;

    private final MemoryManager mm;
    private final long budgetBytes;
    private final TdrPolicy tdr;
    /** Adapters by index; written under {@link #registry}, read without it. */
    private final Map<Integer, AdapterVidMm> adapters = new ConcurrentHashMap<>();
    private final Map<GpuAdapter, AdapterVidMm> byHardware = new HashMap<>();
    private final Map<DisplayDriver, Map<String, Object>> drivers = new LinkedHashMap<>();
    private final Object registry = new Object();
    private final Map<Long, AdapterVidMm> deviceAdapters = new ConcurrentHashMap<>();
    private final Map<Long, AdapterVidMm> contextAdapters = new ConcurrentHashMap<>();
    private final Map<Long, SyncObjectState> syncObjects = new ConcurrentHashMap<>();
    private final Map<Long, AllocationState> shared = new ConcurrentHashMap<>();
    /** (pid, IOMMU unit) -> {users, PASID, whether VidMm bound it, whether its last user is unbinding it}. */
    private final Map<Long, int[]> pasidUsers = new HashMap<>();
    private final AtomicLong handles = new AtomicLong(0x100);
    /** Faults, resets, driver changes and presents go to it as events ({@link VidMmEvents}) when there is one. */
    private volatile EventAdmin events;
    private boolean stopped;

    @Activate
    public VideoMemoryManager(@Reference MemoryManager mm, VidMmConfig config) {
        this.mm = mm;
        this.budgetBytes = Math.max(1, config.budgetMiB()) << 20;
        long ddiDelay = config.tdrDdiDelayMillis() <= 0 ? 0 : Math.max(10, config.tdrDdiDelayMillis()); // 0: unguarded
        this.tdr = new TdrPolicy(Math.max(10, config.tdrDelayMillis()), ddiDelay, Math.max(1, config.tdrLimitCount()),
                Math.max(1, config.tdrLimitTimeSeconds()) * 1000);
    }

    /** The Event Admin arrived (or a test's): VidMm's events go to it. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, unbind = "removeEvents")
    public void addEvents(EventAdmin admin) {
        events = admin;
    }

    /** The Event Admin went: VidMm posts nothing until another comes. */
    public void removeEvents(EventAdmin admin) {
        if (events == admin) {
            events = null;
        }
    }

    // ---- adapters and drivers as they come and go ----

    /** An adapter arrived: VidMm starts a state for it and offers it every driver. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void addAdapter(GpuAdapter gpu) {
        AdapterVidMm a;
        Map<DisplayDriver, Map<String, Object>> offered;
        synchronized (registry) {
            if (stopped) {
                return;
            }
            if (adapters.containsKey(gpu.index())) {
                LOG.log(System.Logger.Level.ERROR, "two adapters have index " + gpu.index() + "; the second is not used");
                return;
            }
            int[] units = new int[gpu.physicalGpus()];
            for (int g = 0; g < units.length; g++) {
                units[g] = gpu.iommuUnit(g);
            }
            a = new AdapterVidMm(gpu.index(), units, gpu, mm, this, budgetBytes, tdr.copy());
            adapters.put(a.index, a);
            byHardware.put(gpu, a);
            offered = new LinkedHashMap<>(drivers);
        }
        offered.forEach(a.drivers::add); // without the registry: attaching may wait for a replay
    }

    /** An adapter went away: its devices are destroyed and its driver detached. */
    public void removeAdapter(GpuAdapter gpu) {
        AdapterVidMm a;
        synchronized (registry) {
            a = byHardware.remove(gpu);
            if (a == null) {
                return;
            }
            adapters.remove(a.index, a);
        }
        a.stop();
    }

    /** A driver service arrived: every adapter asks it how well it matches and attaches it if it is now the best. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void bindDriver(DisplayDriver driver, Map<String, Object> properties) {
        List<AdapterVidMm> offered;
        synchronized (registry) {
            if (stopped) {
                return;
            }
            drivers.put(driver, Map.copyOf(properties));
            offered = sortedAdapters();
        }
        for (AdapterVidMm a : offered) { // without the registry: a change of driver waits for work and replays
            a.drivers.add(driver, properties);
        }
    }

    /** A driver service is going: each adapter it drove moves to its next best driver before this returns. */
    public void unbindDriver(DisplayDriver driver) {
        List<AdapterVidMm> all;
        synchronized (registry) {
            drivers.remove(driver);
            all = sortedAdapters();
        }
        for (AdapterVidMm a : all) {
            a.drivers.remove(driver);
        }
    }

    private List<AdapterVidMm> sortedAdapters() {
        List<AdapterVidMm> list = new ArrayList<>(adapters.values());
        list.sort(Comparator.comparingInt(a -> a.index));
        return list;
    }

    /** Destroys every device (returning its memory and PASIDs) and stops every driver. */
    @Deactivate
    public void stop() {
        List<AdapterVidMm> all;
        synchronized (registry) {
            stopped = true;
            all = sortedAdapters();
        }
        for (AdapterVidMm a : all) {
            a.stop();
        }
    }

    // ---- routing ----

    private AdapterVidMm adapterOf(int index) {
        AdapterVidMm a = adapters.get(index);
        if (a == null) {
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "adapter " + index + " does not exist; adapters: "
                    + sortedAdapters().stream().map(x -> Integer.toString(x.index)).toList());
        }
        return a;
    }

    /** What {@code handle} names in {@code byHandle}; INVALID_HANDLE naming {@code what} if nothing. */
    private static <T> T byHandle(Map<Long, T> byHandle, String what, long handle) {
        T t = byHandle.get(handle);
        if (t == null) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, "no " + what + " has handle 0x" + Long.toHexString(handle));
        }
        return t;
    }

    private AdapterVidMm adapterOfContext(long context) {
        return byHandle(contextAdapters, "context", context);
    }

    private AdapterVidMm adapterOfDevice(long device) {
        return byHandle(deviceAdapters, "device", device);
    }

    @Override
    public AdapterStatus adapter(int adapter) {
        return adapterOf(adapter).drivers.status();
    }

    @Override
    public List<AdapterStatus> adapters() {
        return sortedAdapters().stream().map(a -> a.drivers.status()).toList();
    }

    @Override
    public int retryDrivers(int adapter) {
        return adapterOf(adapter).drivers.retry();
    }

    @Override
    public AdapterHold hold(int adapter, String holder) {
        AdapterVidMm a = adapterOf(adapter);
        a.drivers.hold(holder);
        java.util.concurrent.atomic.AtomicBoolean open = new java.util.concurrent.atomic.AtomicBoolean(true);
        return new AdapterHold() {
            @Override
            public int adapter() {
                return adapter;
            }

            @Override
            public void close() {
                if (open.compareAndSet(true, false)) {
                    a.drivers.release();
                }
            }
        };
    }

    @Override
    public List<DriverBinding> drivers() {
        List<DriverBinding> list = new ArrayList<>();
        for (AdapterVidMm a : sortedAdapters()) {
            list.addAll(a.drivers.bindings());
        }
        return list;
    }

    @Override
    public long createDevice(int adapter, int pid) {
        return adapterOf(adapter).createDevice(pid);
    }

    @Override
    public void destroyDevice(long device) {
        adapterOfDevice(device).destroyDevice(device);
    }

    @Override
    public Allocation allocate(long device, long size, Set<AllocationFlag> flags) {
        java.util.Objects.requireNonNull(flags, "flags");
        return adapterOfDevice(device).memory.allocate(device, size, flags);
    }

    @Override
    public Allocation openShared(long device, long sharedHandle) {
        return adapterOfDevice(device).memory.openShared(device, sharedHandle);
    }

    @Override
    public void destroyAllocation(long device, long allocation) {
        adapterOfDevice(device).memory.destroyAllocation(device, allocation);
    }

    @Override
    public long makeResident(long device, List<Long> allocations) {
        return adapterOfDevice(device).memory.makeResident(device, allocations);
    }

    @Override
    public void evict(long device, List<Long> allocations) {
        adapterOfDevice(device).memory.evict(device, allocations);
    }

    @Override
    public VideoMemoryInfo videoMemoryInfo(int pid) {
        for (AdapterVidMm a : sortedAdapters()) {
            VideoMemoryInfo info = a.memory.videoMemoryInfo(pid);
            if (info != null) {
                return info;
            }
        }
        throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "process " + pid + " does not use the GPU (no device)");
    }

    @Override
    public long trim(int pid, long bytes) {
        if (bytes < 0) {
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "a trim target must be 0 or more bytes, not " + bytes);
        }
        videoMemoryInfo(pid); // INVALID_PARAMETER for a process without a device
        long freed = 0;
        for (AdapterVidMm a : sortedAdapters()) {
            freed += a.memory.trim(pid, bytes);
        }
        return freed;
    }

    @Override
    public VideoMemoryInfo queryVideoMemoryInfo(long device) {
        return adapterOfDevice(device).memory.queryVideoMemoryInfo(device);
    }

    @Override
    public long createContext(long device, EngineNode node, int gpu) {
        return adapterOfDevice(device).createContext(device, node, gpu);
    }

    @Override
    public long context(long device, EngineNode node) {
        java.util.Objects.requireNonNull(node, "engine node");
        return adapterOfDevice(device).defaultContext(device, node);
    }

    @Override
    public void destroyContext(long context) {
        adapterOfContext(context).destroyContext(context);
    }

    @Override
    public long submit(long context, List<DmaCommand> commands) {
        return adapterOfContext(context).work.submit(context, commands);
    }

    @Override
    public FenceWait waitForFence(long context, long fence, long timeoutMillis) {
        return adapterOfContext(context).work.waitForFence(context, fence, timeoutMillis);
    }

    // ---- synchronization objects (monitored fences) ----

    private SyncObjectState syncObjectOf(long sync) {
        return byHandle(syncObjects, "synchronization object", sync);
    }

    /** The object, if the context's process is its process; else INVALID_HANDLE naming both. */
    private SyncObjectState syncObjectFor(long context, long sync) {
        SyncObjectState s = syncObjectOf(sync);
        int pid = contextInfo(context).pid();
        if (pid != s.pid) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, String.format(
                    "synchronization object 0x%x is process %d's, not process %d's (context 0x%x)", sync, s.pid, pid, context));
        }
        return s;
    }

    private static void requirePositive(long value) {
        if (value < 1) {
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "a fence value must be 1 or more, not " + value);
        }
    }

    @Override
    public long createSynchronizationObject(long device) {
        int pid = device(device).pid();
        long va = Calls.os(() -> mm.addressSpace(pid).allocate(4096, os.memmgr.PageProtection.READWRITE));
        SyncObjectState s = new SyncObjectState(nextHandle(), pid, va);
        syncObjects.put(s.handle, s);
        return s.handle;
    }

    @Override
    public void destroySynchronizationObject(long sync) {
        SyncObjectState s = syncObjectOf(sync);
        if (syncObjects.remove(sync, s)) {
            Calls.quietly(() -> mm.addressSpace(s.pid).release(s.va));
            s.destroyed();
        }
    }

    @Override
    public long signalFromGpu(long context, long sync, long value) {
        requirePositive(value);
        SyncObjectState s = syncObjectFor(context, sync);
        return adapterOfContext(context).work.submit(context, List.of(new DmaCommand.WriteFence(s.va, value)), s, value);
    }

    @Override
    public void waitFromGpu(long context, long sync, long value) {
        requirePositive(value);
        adapterOfContext(context).work.waitFromGpu(context, syncObjectFor(context, sync), value);
    }

    @Override
    public void signalFromCpu(long sync, long value) {
        requirePositive(value);
        SyncObjectState s = syncObjectOf(sync);
        if (!s.reached(value)) {
            byte[] le = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(value).array();
            Calls.os(() -> {
                mm.addressSpace(s.pid).write(s.va, le);
                return null;
            });
            s.signalled(value);
        }
    }

    @Override
    public FenceWait waitFromCpu(long sync, long value, long timeoutMillis) {
        SyncObjectState s = syncObjectOf(sync);
        try {
            return s.await(value, Math.max(0, timeoutMillis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return FenceWait.TIMED_OUT;
        }
    }

    @Override
    public vidmm.SyncObjectInfo syncObject(long sync) {
        SyncObjectState s = syncObjectOf(sync);
        return new vidmm.SyncObjectInfo(s.handle, s.pid, s.va, s.value());
    }

    @Override
    public List<vidmm.SyncObjectInfo> syncObjects() {
        return syncObjects.keySet().stream().sorted().map(this::syncObject).toList();
    }

    @Override
    public ContextInfo contextInfo(long context) {
        AdapterVidMm a = adapterOfContext(context);
        try (AdapterState.Held held = a.state.read()) {
            return a.state.contextLocked(context).info();
        }
    }

    @Override
    public List<ContextInfo> contexts() {
        List<ContextInfo> list = new ArrayList<>();
        for (AdapterVidMm a : sortedAdapters()) {
            try (AdapterState.Held held = a.state.read()) {
                a.contexts.values().forEach(c -> list.add(c.info()));
            }
        }
        list.sort(Comparator.comparingLong(ContextInfo::handle));
        return list;
    }

    @Override
    public void present(long device, long allocation, int source) {
        adapterOfDevice(device).display.present(device, allocation, source);
    }

    @Override
    public List<VidPnSourceMode> sourceModes(int adapter) {
        return adapterOf(adapter).drivers.sourceModes();
    }

    @Override
    public List<ApertureMapping> apertureMappings() {
        List<ApertureMapping> list = new ArrayList<>();
        sortedAdapters().forEach(a -> list.addAll(a.display.mappings()));
        return list;
    }

    @Override
    public DeviceInfo device(long device) {
        AdapterVidMm a = adapterOfDevice(device);
        try (AdapterState.Held held = a.state.read()) {
            return a.deviceLocked(device).info();
        }
    }

    @Override
    public List<ProcessRegistration> processes() {
        List<ProcessRegistration> list = new ArrayList<>();
        sortedAdapters().forEach(a -> list.addAll(a.processes()));
        list.sort(Comparator.comparingInt(ProcessRegistration::pid).thenComparingInt(ProcessRegistration::adapter));
        return list;
    }

    @Override
    public List<Allocation> allocations() {
        List<Allocation> list = new ArrayList<>();
        sortedAdapters().forEach(a -> list.addAll(a.memory.allocations()));
        return list;
    }

    @Override
    public List<GpuFault> faults() {
        List<GpuFault> list = new ArrayList<>();
        sortedAdapters().forEach(a -> list.addAll(a.faults.list()));
        return list;
    }

    @Override
    public void processExiting(int pid) {
        for (AdapterVidMm a : sortedAdapters()) {
            a.processExiting(pid);
        }
        for (SyncObjectState s : List.copyOf(syncObjects.values())) {
            if (s.pid == pid && syncObjects.remove(s.handle, s)) {
                s.destroyed(); // its page goes with the process
            }
        }
    }

    /** A GPU behind {@code unit} timed out a device-TLB invalidation: its adapter is reset on the adapter's recovery thread. */
    @Override
    public void invalidationTimedOut(int unit, int requesterId) {
        String device = iommu.hw.vtd.RequesterId.of(requesterId).toString();
        for (AdapterVidMm a : sortedAdapters()) {
            for (int g = 0; g < a.gpu.physicalGpus(); g++) {
                if (a.gpu.iommuUnit(g) == unit && a.gpu.requesterId(g) == requesterId) {
                    a.recovery.deviceTlbTimedOut(g, unit, device);
                }
            }
        }
    }

    /** Waits until recovery work queued so far has run on every adapter (tests and the shell use it). */
    void awaitRecovery() throws Exception {
        for (AdapterVidMm a : sortedAdapters()) {
            a.recovery.awaitRecovery();
            a.work.awaitWorker();
        }
    }

    // ---- AdapterVidMm.Kernel: what adapters share ----

    @Override
    public long nextHandle() {
        return handles.incrementAndGet();
    }

    /**
     * The process's PASID on {@code unit}, bound on its first user. A PASID whose last user is
     * unbinding it is waited for (its unbind runs outside this monitor, so that one slow unbind, which
     * waits for device-TLB invalidations, does not stall every adapter's device creation).
     */
    @Override
    public int acquirePasid(int pid, int unit) {
        long key = ((long) pid << 32) | unit;
        synchronized (pasidUsers) {
            int[] users;
            while ((users = pasidUsers.get(key)) != null && users[3] == 1) {
                try {
                    pasidUsers.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new VidMmException(VidMmStatus.MEMORY_MANAGER_REFUSED, "interrupted while the PASID of process " + pid
                            + " on IOMMU unit " + unit + " was being unbound");
                }
            }
            if (users != null) {
                users[0]++;
                return users[1];
            }
            boolean alreadyBound = mm.addressSpace(pid).pasids().containsKey(unit);
            int pasid = mm.bindIommu(pid, unit);
            pasidUsers.put(key, new int[] {1, pasid, alreadyBound ? 0 : 1, 0});
            return pasid;
        }
    }

    /** One user fewer; the last one unbinds the PASID if VidMm bound it, outside the PASID users' monitor. */
    @Override
    public void releasePasid(int pid, int unit) {
        long key = ((long) pid << 32) | unit;
        synchronized (pasidUsers) {
            int[] users = pasidUsers.get(key);
            if (users == null || --users[0] > 0) {
                return;
            }
            if (users[2] == 0) {
                pasidUsers.remove(key); // bound by someone else: theirs to unbind
                return;
            }
            users[3] = 1; // unbinding: a new user waits for it
        }
        try {
            Calls.quietly(() -> mm.unbindIommu(pid, unit));
        } finally {
            synchronized (pasidUsers) {
                pasidUsers.remove(key);
                pasidUsers.notifyAll();
            }
        }
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
    public void post(String topic, java.util.function.Supplier<Map<String, Object>> lazyProperties) {
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
