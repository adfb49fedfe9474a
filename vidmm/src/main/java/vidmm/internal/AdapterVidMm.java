package vidmm.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import gpu.hw.GpuAdapter;
import gpu.hw.PciIdentity;
import kmd.api.AllocationDescription;
import kmd.api.AllocationFlag;
import kmd.api.AllocationRequest;
import kmd.api.KernelModeDriver;
import os.memmgr.AddressSpace;
import os.memmgr.MemoryManager;
import os.memmgr.PageProtection;
import vidmm.AdapterStatus;
import vidmm.Allocation;
import vidmm.ProcessRegistration;
import vidmm.VidMmException;
import vidmm.VidMmStatus;
import vidmm.VideoMemoryInfo;

import static vidmm.internal.Calls.ddi;
import static vidmm.internal.Calls.os;
import static vidmm.internal.Calls.quietly;

/**
 * VidMm's state for one adapter: its processes (registered with the adapter's IOMMU unit), devices
 * and allocations, and the calls on them. Driver binding ({@link AdapterDrivers}), submission and
 * recovery ({@link GpuWork}) and display ({@link Display}) work on the same state. Bookkeeping and
 * every driver call happen under {@link #lock}, so the driver sees one call at a time.
 */
final class AdapterVidMm {
    static final long MAX_ALLOCATION = 64L << 30;

    /** What an adapter's VidMm needs of the whole VidMm: handles, PASIDs, shared allocations, events. */
    interface Kernel {
        long nextHandle();

        /** The process's PASID on {@code unit}, binding it on first use; counted per user. */
        int acquirePasid(int pid, int unit);

        void releasePasid(int pid, int unit);

        /** A shared allocation created on any adapter, by its shared handle, or null. */
        AllocationState shared(long sharedHandle);

        void sharedCreated(AllocationState a);

        void sharedDestroyed(AllocationState a);

        void deviceCreated(long handle, AdapterVidMm adapter);

        void deviceDestroyed(long handle);

        void contextCreated(long handle, AdapterVidMm adapter);

        void contextDestroyed(long handle);

        /** Posts an event; {@code properties} is only called when there is an Event Admin to post to. */
        void post(String topic, java.util.function.Supplier<Map<String, Object>> properties);
    }

    /**
     * A process with devices on this adapter: its PASID on the IOMMU unit of each physical GPU (the first
     * is its devices' owner PASID); {@code kmdHandle} is the attached driver's handle of it.
     */
    static final class ProcessState {
        final int pid;
        final int[] pasids;
        final int pasid;
        final List<Long> devices = new ArrayList<>();
        long kmdHandle;

        ProcessState(int pid, int[] pasids, long kmdHandle) {
            this.pid = pid;
            this.pasids = pasids.clone();
            this.pasid = pasids[0];
            this.kmdHandle = kmdHandle;
        }

        /** The attached driver knows this process as {@code kmdHandle} (a replay to a new driver). */
        void attachedAs(long kmdHandle) {
            this.kmdHandle = kmdHandle;
        }
    }

    final int index;
    /** The IOMMU unit of each physical GPU of the adapter (two for a linked adapter). */
    final int[] iommuUnits;
    final int iommuUnit;
    /** The hardware, handed to a driver's AddDevice. */
    final GpuAdapter gpu;
    final MemoryManager mm;
    final Kernel kernel;
    final Object lock = new Object();
    final Residency residency;
    final FaultLog faults = new FaultLog();
    /** Its tasks run on the adapter's worker thread ({@link GpuWork#later}). */
    final PagingFence pagingFence;
    final Map<Integer, ProcessState> processes = new LinkedHashMap<>();
    final Map<Long, DeviceState> devices = new LinkedHashMap<>();
    final Map<Long, ContextState> contexts = new LinkedHashMap<>();
    /** Devices created here so far: spreads shorthand contexts over a linked adapter's GPUs. */
    private long devicesCreated;
    final Map<Long, AllocationState> allocations = new LinkedHashMap<>();
    final AdapterDrivers drivers;
    final Recovery recovery;
    final GpuWork work;
    final Display display;
    /** Set by {@link #stop()}: nothing is attached afterwards. */
    boolean stopped;

    AdapterVidMm(int index, int[] iommuUnits, GpuAdapter gpu, MemoryManager mm, Kernel kernel, long budgetBytes,
                 TdrPolicy tdr) {
        this.index = index;
        this.iommuUnits = iommuUnits.clone();
        this.iommuUnit = iommuUnits[0];
        this.gpu = gpu;
        this.mm = mm;
        this.kernel = kernel;
        this.residency = new Residency(mm, budgetBytes);
        this.drivers = new AdapterDrivers(this);
        this.recovery = new Recovery(this, tdr);
        this.work = new GpuWork(this, recovery);
        this.pagingFence = new PagingFence(work::later);
        this.display = new Display(this);
    }

    /** The attached driver context (seen through {@link DdiTracing}), or null: {@link AdapterDrivers}' attachment. */
    KernelModeDriver kmd() {
        return drivers.kmd();
    }

    PciIdentity identity() {
        return gpu.identity();
    }

    AdapterStatus noDriver() {
        return new AdapterStatus(index, iommuUnit, AdapterStatus.State.STOPPED, null, "no kernel-mode driver is attached",
                null);
    }

    /** Posts an event of this adapter; {@code properties} is built only when someone listens (DDIs are a hot path). */
    void post(String topic, java.util.function.Supplier<Map<String, Object>> properties) {
        kernel.post(topic, () -> {
            Map<String, Object> p = new java.util.HashMap<>(properties.get());
            p.put(vidmm.VidMmEvents.ADAPTER, index);
            return p;
        });
    }

    /** Destroys every device (returning its memory and PASID) and detaches the driver. */
    void stop() {
        List<ContextState> draining = new ArrayList<>();
        synchronized (lock) {
            stopped = true;
            display.blankAll();
            for (DeviceState d : devices.values()) {
                draining.addAll(d.close());
            }
        }
        GpuWork.awaitIdle(draining); // without the lock
        synchronized (lock) {
            for (DeviceState d : new ArrayList<>(devices.values())) {
                destroyDeviceLocked(d);
            }
            if (kmd() != null) {
                drivers.detachLocked();
            }
        }
        recovery.stop();
        work.stop();
    }

    /**
     * Runs {@code call} under the lock once no driver change is in progress: a change ({@link
     * AdapterDrivers#reconsider}) is waited for without the lock. For calls the going driver would
     * refuse during its exclusive access (paging operations).
     */
    <T> T settled(java.util.function.Supplier<T> call) {
        while (true) {
            drivers.awaitSettled();
            synchronized (lock) {
                if (!drivers.changing()) {
                    return call.get();
                }
            }
        }
    }

    // ---- checks ----

    void requireStarted() {
        AdapterStatus s = drivers.status();
        if (s.state() != AdapterStatus.State.STARTED) {
            throw new VidMmException(VidMmStatus.ADAPTER_NOT_STARTED, "adapter " + index + " is not started: " + s.reason());
        }
    }

    DeviceState deviceLocked(long handle) {
        DeviceState d = devices.get(handle);
        if (d == null) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, "no device has handle 0x" + Long.toHexString(handle));
        }
        return d;
    }

    static void requireActive(DeviceState d) {
        if (d.closing()) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, "device 0x" + Long.toHexString(d.handle)
                    + " is being destroyed");
        }
        if (!d.active()) {
            throw new VidMmException(VidMmStatus.DEVICE_IN_ERROR, "device 0x" + Long.toHexString(d.handle)
                    + " faulted and accepts no more work; destroy it and create another");
        }
    }

    AllocationState allocationLocked(DeviceState d, long handle) {
        AllocationState a = d.allocations.get(handle);
        if (a == null) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, "device 0x" + Long.toHexString(d.handle)
                    + " has no allocation 0x" + Long.toHexString(handle));
        }
        return a;
    }

    // ---- devices and process registration ----

    long createDevice(int pid) {
        synchronized (lock) {
            requireStarted();
            os(() -> mm.addressSpace(pid));
            ProcessState process = processes.get(pid);
            boolean first = process == null;
            if (first) {
                int[] pasids = new int[iommuUnits.length];
                int bound = 0;
                long hProcess;
                try {
                    for (; bound < iommuUnits.length; bound++) {
                        int unit = iommuUnits[bound];
                        pasids[bound] = os(() -> kernel.acquirePasid(pid, unit));
                    }
                    hProcess = ddi("DxgkDdiCreateProcess", () -> kmd().createProcess(pid, pasids.clone()));
                } catch (VidMmException e) {
                    for (int i = 0; i < bound; i++) {
                        kernel.releasePasid(pid, iommuUnits[i]);
                    }
                    throw e;
                }
                process = new ProcessState(pid, pasids, hProcess);
            }
            ProcessState p = process;
            long hDevice;
            try {
                hDevice = ddi("DxgkDdiCreateDevice", () -> kmd().createDevice(p.kmdHandle, p.pasid));
            } catch (VidMmException e) {
                if (first) {
                    unregisterLocked(p);
                }
                throw e;
            }
            processes.put(pid, p);
            DeviceState d = new DeviceState(kernel.nextHandle(), pid, p.pasid, hDevice, index,
                    (int) (devicesCreated++ % iommuUnits.length));
            devices.put(d.handle, d);
            p.devices.add(d.handle);
            kernel.deviceCreated(d.handle, this);
            return d.handle;
        }
    }

    private void unregisterLocked(ProcessState p) {
        if (kmd() != null) {
            quietly(() -> kmd().destroyProcess(p.kmdHandle));
        }
        for (int unit : iommuUnits) {
            kernel.releasePasid(p.pid, unit);
        }
        processes.remove(p.pid);
    }

    /**
     * Destroys a device: it takes no more work at once; its contexts' work is waited for without
     * the lock (up to two seconds, other calls on the adapter go on meanwhile), then cut off if
     * still queued, and only then its memory and, with its process's last device, its PASID go.
     */
    void destroyDevice(long device) {
        List<ContextState> draining;
        synchronized (lock) {
            DeviceState d = deviceLocked(device);
            if (d.closing()) {
                throw new VidMmException(VidMmStatus.INVALID_HANDLE, "device 0x" + Long.toHexString(device)
                        + " is being destroyed already");
            }
            draining = d.close();
        }
        GpuWork.awaitIdle(draining);
        synchronized (lock) {
            DeviceState d = devices.get(device);
            if (d != null) {
                destroyDeviceLocked(d);
            }
        }
    }

    /** Destroys a device whose work the caller waited for: what is still queued is cut off, nothing is waited for. */
    void destroyDeviceLocked(DeviceState d) {
        d.close();
        recovery.cutOffLocked(d.contexts());
        display.blankShowing(d);
        List<AllocationState> all = new ArrayList<>(d.allocations.values());
        all.sort(Comparator.comparing(a -> a.owner)); // opened ones first
        for (AllocationState a : all) {
            destroyAllocationLocked(a);
        }
        for (ContextState c : d.contexts()) {
            destroyContextLocked(c); // cut off: nothing of it is queued
        }
        if (kmd() != null) {
            quietly(() -> kmd().destroyDevice(d.kmdHandle));
        }
        devices.remove(d.handle);
        kernel.deviceDestroyed(d.handle);
        ProcessState p = processes.get(d.pid);
        p.devices.remove(d.handle);
        if (p.devices.isEmpty()) {
            unregisterLocked(p);
        }
    }

    // ---- contexts ----

    ContextState contextLocked(long handle) {
        ContextState c = contexts.get(handle);
        if (c == null) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, "no context has handle 0x" + Long.toHexString(handle));
        }
        return c;
    }

    /** D3DKMTCreateContext: DxgkDdiCreateContext on the device's node and physical GPU. */
    long createContext(long device, kmd.api.EngineNode node, int gpu) {
        java.util.Objects.requireNonNull(node, "engine node");
        synchronized (lock) {
            requireStarted();
            DeviceState d = deviceLocked(device);
            requireActive(d);
            if (gpu < 0 || gpu >= iommuUnits.length) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "adapter " + index + " has physical GPUs 0.."
                        + (iommuUnits.length - 1) + ", not " + gpu);
            }
            long hContext = ddi("DxgkDdiCreateContext", () -> kmd().createContext(d.kmdHandle, node, gpu));
            ContextState c = new ContextState(kernel.nextHandle(), d, node, gpu, hContext);
            contexts.put(c.handle, c);
            drivers.contextCreated(c);
            d.added(c);
            kernel.contextCreated(c.handle, this);
            return c.handle;
        }
    }

    /** The device's first context on {@code node} (its shorthand context), created on first use. */
    long defaultContext(long device, kmd.api.EngineNode node) {
        synchronized (lock) {
            DeviceState d = deviceLocked(device);
            for (ContextState c : d.contexts()) {
                if (c.node == node && c.gpu == d.defaultGpu) {
                    return c.handle;
                }
            }
            return createContext(device, node, d.defaultGpu);
        }
    }

    /**
     * D3DKMTDestroyContext: it takes no more work at once (its handle is gone); its work is waited
     * for without the lock (up to two seconds), then cut off if still queued.
     */
    void destroyContext(long context) {
        ContextState c;
        synchronized (lock) {
            c = contextLocked(context);
            contexts.remove(context); // no new submission finds it; its interrupts still do (AdapterDrivers.contextOf)
        }
        GpuWork.awaitIdle(List.of(c));
        synchronized (lock) {
            if (c.device.contexts().contains(c)) {
                recovery.cutOffLocked(List.of(c));
                destroyContextLocked(c);
            }
        }
    }

    private void destroyContextLocked(ContextState c) {
        if (kmd() != null) {
            quietly(() -> kmd().destroyContext(c.kmdHandle));
        }
        contexts.remove(c.handle);
        drivers.contextGone(c);
        c.device.removed(c);
        c.fault(); // a late waiter is not left waiting
        kernel.contextDestroyed(c.handle);
    }

    /** The process exits: its devices take no more work, their work is waited for without the lock, then they go. */
    void processExiting(int pid) {
        List<ContextState> draining = new ArrayList<>();
        synchronized (lock) {
            ProcessState p = processes.get(pid);
            if (p == null) {
                return;
            }
            for (Long device : p.devices) {
                draining.addAll(devices.get(device).close());
            }
        }
        GpuWork.awaitIdle(draining);
        synchronized (lock) {
            ProcessState p = processes.get(pid);
            if (p != null) {
                for (Long device : new ArrayList<>(p.devices)) {
                    destroyDeviceLocked(devices.get(device));
                }
            }
        }
    }

    // ---- allocations ----

    Allocation allocate(long device, long size, Set<AllocationFlag> flags) {
        synchronized (lock) {
            requireStarted();
            DeviceState d = deviceLocked(device);
            requireActive(d);
            if (size <= 0 || size > MAX_ALLOCATION) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "allocation size must be 1.." + MAX_ALLOCATION
                        + " bytes, not " + size);
            }
            AllocationRequest request = new AllocationRequest(size, flags);
            AllocationDescription described = ddi("DxgkDdiCreateAllocation", () -> kmd().createAllocation(d.kmdHandle, request));
            checkDescription(request, described);
            // VidMm backs whole pages: a driver's odd size is rounded up, as the memory manager would
            AllocationDescription desc = new AllocationDescription((described.size() + 4095) & ~4095L, described.alignment(),
                    described.preferredSegment(), described.flags());
            boolean shared = desc.flags().contains(AllocationFlag.SHARED);
            AddressSpace space = os(() -> mm.addressSpace(d.pid));
            long section = shared ? os(() -> mm.createSection(desc.size())) : 0;
            long va;
            try {
                va = os(() -> shared ? space.mapSection(section, PageProtection.READWRITE)
                        : space.allocate(desc.size(), PageProtection.READWRITE));
            } catch (VidMmException e) {
                if (shared) {
                    quietly(() -> mm.closeSection(section));
                }
                throw e;
            }
            long handle = kernel.nextHandle();
            AllocationState a = new AllocationState(handle, d, va, desc.size(), desc.flags(), section,
                    shared ? handle : 0, true);
            try {
                ddi("DxgkDdiOpenAllocation", () -> kmd().openAllocation(d.kmdHandle, handle, va, desc.size()));
            } catch (VidMmException e) {
                quietly(() -> kmd().destroyAllocation(handle));
                quietly(() -> space.release(va));
                if (shared) {
                    quietly(() -> mm.closeSection(section));
                }
                throw e;
            }
            d.allocations.put(handle, a);
            allocations.put(handle, a);
            if (shared) {
                kernel.sharedCreated(a);
            }
            return a.info();
        }
    }

    static void checkDescription(AllocationRequest request, AllocationDescription desc) {
        String problem = null;
        if (desc == null) {
            problem = "no description";
        } else if (desc.size() < request.size()) {
            problem = "size " + desc.size() + " is less than the requested " + request.size();
        } else if (desc.size() > MAX_ALLOCATION) {
            problem = "size " + desc.size() + " is over " + MAX_ALLOCATION;
        } else if (desc.alignment() < 4096 || Long.bitCount(desc.alignment()) != 1 || desc.alignment() > 65536) {
            problem = "alignment " + desc.alignment() + " is not a power of two in 4096..65536";
        } else if (!desc.flags().containsAll(request.flags())) {
            problem = "flags " + desc.flags() + " drop some of the requested " + request.flags();
        }
        if (problem != null) {
            throw new VidMmException(VidMmStatus.DRIVER_REFUSED, "DxgkDdiCreateAllocation described an invalid allocation: "
                    + problem);
        }
    }

    /** Opens a shared allocation (created on this adapter or another) in the device's process. */
    Allocation openShared(long device, long sharedHandle) {
        synchronized (lock) {
            requireStarted();
            DeviceState d = deviceLocked(device);
            requireActive(d);
            AllocationState source = kernel.shared(sharedHandle);
            AllocationState here = allocations.get(sharedHandle);
            if (source == null && here != null && here.owner) {
                throw new VidMmException(VidMmStatus.NOT_SHARED, "allocation 0x" + Long.toHexString(sharedHandle)
                        + " was not created SHARED");
            }
            if (source == null) {
                throw new VidMmException(VidMmStatus.INVALID_HANDLE, "no shared allocation has handle 0x"
                        + Long.toHexString(sharedHandle));
            }
            AddressSpace space = os(() -> mm.addressSpace(d.pid));
            long va = os(() -> space.mapSection(source.section, PageProtection.READWRITE));
            long handle = kernel.nextHandle();
            AllocationState a = new AllocationState(handle, d, va, source.size, source.flags, source.section,
                    source.handle, false);
            try {
                ddi("DxgkDdiOpenAllocation", () -> kmd().openAllocation(d.kmdHandle, handle, va, source.size));
            } catch (VidMmException e) {
                quietly(() -> space.release(va));
                throw e;
            }
            d.allocations.put(handle, a);
            allocations.put(handle, a);
            return a.info();
        }
    }

    void destroyAllocation(long device, long allocation) {
        synchronized (lock) {
            DeviceState d = deviceLocked(device);
            AllocationState a = allocationLocked(d, allocation);
            display.refuseIfShown(a);
            destroyAllocationLocked(a);
        }
    }

    private void destroyAllocationLocked(AllocationState a) {
        DeviceState d = a.device;
        if (a.pin != null) {
            residency.unpin(a);
        }
        if (kmd() != null) {
            quietly(() -> kmd().closeAllocation(d.kmdHandle, a.handle));
            if (a.owner) {
                quietly(() -> kmd().destroyAllocation(a.handle));
            }
        }
        quietly(() -> mm.addressSpace(d.pid).release(a.va));
        if (a.owner && a.section != 0) {
            kernel.sharedDestroyed(a);
            quietly(() -> mm.closeSection(a.section));
        }
        d.allocations.remove(a.handle);
        d.evictedForBudget.remove(a.handle);
        allocations.remove(a.handle);
    }

    // ---- residency ----

    long makeResident(long device, List<Long> handles) {
        synchronized (lock) {
            requireStarted();
            DeviceState d = deviceLocked(device);
            List<AllocationState> list = new ArrayList<>();
            for (long h : handles) {
                list.add(allocationLocked(d, h));
            }
            residency.makeResident(d, list, allocations.values(), display.shown());
            long fence = pagingFence.next();
            pagingFence.completed(fence); // pinning is synchronous in the IoMmu model
            return fence;
        }
    }

    void evict(long device, List<Long> handles) {
        synchronized (lock) {
            DeviceState d = deviceLocked(device);
            List<AllocationState> list = new ArrayList<>();
            for (long h : handles) {
                list.add(allocationLocked(d, h));
            }
            residency.evict(list);
        }
    }

    /** The process's figures on this adapter, or null if it has no device here. */
    VideoMemoryInfo videoMemoryInfo(int pid) {
        synchronized (lock) {
            return processes.containsKey(pid) ? residency.info(pid, List.of()) : null;
        }
    }

    /** {@link Residency#trim} of {@code pid} on this adapter; 0 if it has no device here. */
    long trim(int pid, long target) {
        synchronized (lock) {
            return processes.containsKey(pid) ? residency.trim(pid, target, allocations.values(), display.shown()) : 0;
        }
    }

    VideoMemoryInfo queryVideoMemoryInfo(long device) {
        synchronized (lock) {
            DeviceState d = deviceLocked(device);
            List<Long> evicted = new ArrayList<>(d.evictedForBudget);
            d.evictedForBudget.clear();
            return residency.info(d.pid, evicted);
        }
    }

    // ---- queries ----

    List<ProcessRegistration> processes() {
        synchronized (lock) {
            List<ProcessRegistration> list = new ArrayList<>();
            for (ProcessState p : processes.values()) {
                for (int g = 0; g < iommuUnits.length; g++) {
                    list.add(new ProcessRegistration(p.pid, p.pasids[g], p.devices, index, iommuUnits[g]));
                }
            }
            return list;
        }
    }

    List<Allocation> allocations() {
        synchronized (lock) {
            List<Allocation> list = new ArrayList<>();
            for (AllocationState a : allocations.values()) {
                list.add(a.info());
            }
            return list;
        }
    }
}
