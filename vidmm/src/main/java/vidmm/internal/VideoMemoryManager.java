package vidmm.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
import vidmm.MakeResidentResult;
import vidmm.PagingQueueInfo;
import vidmm.ProcessRegistration;
import vidmm.VidMm;
import vidmm.VidMmException;
import vidmm.VidMmStatus;
import vidmm.VideoMemoryInfo;
import umd.api.AllocationCreateFlag;

/**
 * VidMm for the IoMmu model, as one OSGi component: one {@link AdapterVidMm} per GPU adapter, each
 * with its own driver, locks, aperture, residency, faults and display; what they share in {@link
 * VidMmKernel} (handles that name their adapter, shared allocations, PASID users per IOMMU unit,
 * events); adapters and driver services as they come and go in {@link AdapterRegistry} (every
 * driver is offered to every adapter, which attaches its best match); monitored fences in {@link
 * SyncObjects}. This class answers the VidMm service by routing each call to its adapter.
 */
@Component(service = {VidMm.class, ProcessListener.class, IommuDeviceListener.class}, immediate = true,
        configurationPid = VidMmConfig.PID)
@Designate(ocd = VidMmConfig.class)
public final class VideoMemoryManager implements VidMm, ProcessListener, IommuDeviceListener {
    static final long MAX_ALLOCATION = AdapterMemory.MAX_ALLOCATION;

    private final MemoryManager mm;
    /** VidMm's adapters and drivers; its monitor is the first lock of the lock order. */
    private final AdapterRegistry registry;
    private final SyncObjects syncObjects;
    private final PagingQueues pagingQueues;
    private final TrimNotifications trimNotifications = new TrimNotifications();
    /** What the adapters share: handles and their routing, shared allocations, PASID users, events. */
    private final VidMmKernel kernel;

    @Activate
    public VideoMemoryManager(@Reference MemoryManager mm, VidMmConfig config) {
        this.mm = mm;
        this.syncObjects = new SyncObjects(mm);
        this.pagingQueues = new PagingQueues(syncObjects);
        this.kernel = new VidMmKernel(mm, syncObjects);
        long ddiDelay = config.tdrDdiDelayMillis() <= 0 ? 0 : Math.max(10, config.tdrDdiDelayMillis()); // 0: unguarded
        TdrPolicy tdr = new TdrPolicy(Math.max(10, config.tdrDelayMillis()), ddiDelay, Math.max(1, config.tdrLimitCount()),
                Math.max(1, config.tdrLimitTimeSeconds()) * 1000);
        long budgetBytes = Math.max(1, config.budgetMiB()) << 20;
        this.registry = new AdapterRegistry((gpu, units) -> new AdapterVidMm(gpu.index(), units, gpu, mm, kernel, budgetBytes,
                tdr.copy()));
    }

    /** The Event Admin arrived (or a test's): VidMm's events go to it. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, unbind = "removeEvents")
    public void addEvents(EventAdmin admin) {
        kernel.events(admin);
    }

    /** The Event Admin went: VidMm posts nothing until another comes. */
    public void removeEvents(EventAdmin admin) {
        if (kernel.events() == admin) {
            kernel.events(null);
        }
    }

    // ---- adapters and drivers as they come and go ----

    /** An adapter arrived: VidMm starts a state for it and offers it every driver. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void addAdapter(GpuAdapter gpu) {
        registry.addAdapter(gpu);
    }

    /** An adapter went away: its devices are destroyed and its driver detached. */
    public void removeAdapter(GpuAdapter gpu) {
        registry.removeAdapter(gpu);
    }

    /** A driver service arrived: every adapter asks it how well it matches and attaches it if it is now the best. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void bindDriver(DisplayDriver driver, Map<String, Object> properties) {
        registry.bindDriver(driver, properties);
    }

    /** A driver service is going: each adapter it drove moves to its next best driver before this returns. */
    public void unbindDriver(DisplayDriver driver) {
        registry.unbindDriver(driver);
    }

    private List<AdapterVidMm> sortedAdapters() {
        return registry.sorted();
    }

    /** Destroys every device (returning its memory and PASIDs) and stops every driver. */
    @Deactivate
    public void stop() {
        registry.stop();
    }

    // ---- routing ----

    private AdapterVidMm adapterOf(int index) {
        return registry.of(index);
    }

    private AdapterVidMm adapterOfContext(long context) {
        return kernel.ofContext(context);
    }

    private AdapterVidMm adapterOfDevice(long device) {
        return kernel.ofDevice(device);
    }

    @Override
    public AdapterStatus adapter(int adapter) {
        return adapterOf(adapter).seat.status();
    }

    @Override
    public List<AdapterStatus> adapters() {
        return sortedAdapters().stream().map(a -> a.seat.status()).toList();
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
            list.addAll(a.seat.bindings());
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
        pagingQueues.deviceDestroyed(device);
        trimNotifications.deviceDestroyed(device);
    }

    @Override
    public Allocation allocate(long device, long size, Set<AllocationCreateFlag> flags) {
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
        AdapterVidMm a = adapterOfDevice(device);
        long over = a.memory.makeResident(device, allocations, false, false);
        if (over > 0) {
            throw Residency.refusal(device(device).pid(), over);
        }
        return a.memory.pagingFenceAfterMakeResident();
    }

    @Override
    public PagingQueueInfo createPagingQueue(long device) {
        DeviceInfo d = device(device);
        return pagingQueues.create(device, d.pid(), kernel.nextHandle(), kernel.nextHandle());
    }

    @Override
    public void destroyPagingQueue(long pagingQueue) {
        pagingQueues.destroy(pagingQueue);
    }

    @Override
    public PagingQueueInfo pagingQueue(long pagingQueue) {
        return pagingQueues.of(pagingQueue);
    }

    @Override
    public MakeResidentResult makeResident(long pagingQueue, List<Long> allocations, boolean cantTrimFurther,
                                           boolean mustSucceed) {
        if (mustSucceed && !cantTrimFurther) {
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "MustSucceed may only be set with CantTrimFurther");
        }
        PagingQueueInfo q = pagingQueues.of(pagingQueue);
        long over = adapterOfDevice(q.device()).memory.makeResident(q.device(), allocations, cantTrimFurther, mustSucceed);
        return over > 0 ? new MakeResidentResult(0, over) : new MakeResidentResult(pagingQueues.advance(pagingQueue), 0);
    }

    @Override
    public long evict(long device, List<Long> allocations) {
        return adapterOfDevice(device).memory.evict(device, allocations);
    }

    @Override
    public long registerTrimNotification(long device, java.util.function.LongConsumer numBytesToTrim) {
        device(device); // INVALID_HANDLE for an unknown device
        long handle = kernel.nextHandle();
        trimNotifications.register(handle, device, numBytesToTrim);
        return handle;
    }

    @Override
    public void unregisterTrimNotification(long handle) {
        trimNotifications.unregister(handle);
    }

    @Override
    public long trimNotificationDevice(long handle) {
        return trimNotifications.deviceOf(handle);
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

    /**
     * On each adapter where the process is over {@code bytes}, its devices' trim notifications are told
     * the difference (TrimToBudget), with no lock held; their UMDs evict. Returns how much its usage fell.
     */
    @Override
    public long trim(int pid, long bytes) {
        if (bytes < 0) {
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "a trim target must be 0 or more bytes, not " + bytes);
        }
        videoMemoryInfo(pid); // INVALID_PARAMETER for a process without a device
        long freed = 0;
        for (AdapterVidMm a : sortedAdapters()) {
            VideoMemoryInfo before = a.memory.videoMemoryInfo(pid);
            if (before == null || before.currentUsage() <= bytes) {
                continue;
            }
            trimNotifications.notify(a.memory.devicesOf(pid), before.currentUsage() - bytes);
            VideoMemoryInfo after = a.memory.videoMemoryInfo(pid);
            freed += before.currentUsage() - (after == null ? 0 : after.currentUsage());
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
    public long submitBuffer(long context, long va, int length) {
        return adapterOfContext(context).work.submitBuffer(context, va, length);
    }

    @Override
    public FenceWait waitForFence(long context, long fence, long timeoutMillis) {
        return adapterOfContext(context).work.waitForFence(context, fence, timeoutMillis);
    }

    // ---- synchronization objects (monitored fences) ----

    @Override
    public long createSynchronizationObject(long device) {
        return syncObjects.create(device(device).pid(), kernel.nextHandle());
    }

    @Override
    public void destroySynchronizationObject(long sync) {
        syncObjects.destroy(sync);
    }

    @Override
    public long signalFromGpu(long context, long sync, long value) {
        SyncObjects.requirePositive(value);
        SyncObjectState s = syncObjects.of(sync, contextInfo(context).pid(), context);
        return adapterOfContext(context).work.submit(context, List.of(new DmaCommand.WriteFence(s.va, value)), s, value);
    }

    @Override
    public void waitFromGpu(long context, long sync, long value) {
        SyncObjects.requirePositive(value);
        adapterOfContext(context).work.waitFromGpu(context, syncObjects.of(sync, contextInfo(context).pid(), context), value);
    }

    @Override
    public void signalFromCpu(long sync, long value) {
        syncObjects.signalFromCpu(sync, value);
    }

    @Override
    public FenceWait waitFromCpu(long sync, long value, long timeoutMillis) {
        return syncObjects.waitFromCpu(sync, value, timeoutMillis);
    }

    @Override
    public vidmm.SyncObjectInfo syncObject(long sync) {
        return syncObjects.info(sync);
    }

    @Override
    public List<vidmm.SyncObjectInfo> syncObjects() {
        return syncObjects.list();
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
        return adapterOf(adapter).seat.sourceModes();
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
        syncObjects.processExited(pid);
    }

    /** A GPU behind {@code unit} timed out a device-TLB invalidation: its adapter is reset on the adapter's recovery thread. */
    @Override
    public void invalidationTimedOut(int unit, int requesterId) {
        String device = iommu.hw.RequesterId.of(requesterId).toString();
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
}
