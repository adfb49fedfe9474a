package vidmm.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

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

import kmd.api.AdapterInfo;
import kmd.api.AllocationDescription;
import kmd.api.AllocationFlag;
import kmd.api.AllocationRequest;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.PagingOperation;
import kmd.api.SegmentDescriptor;
import kmd.api.VidPnSourceMode;
import kmd.api.callbacks.InterruptNotification;
import os.memmgr.AddressSpace;
import os.memmgr.MemoryException;
import os.memmgr.MemoryManager;
import os.memmgr.PageProtection;
import os.memmgr.PinnedPages;
import os.memmgr.ProcessListener;
import vidmm.AdapterStatus;
import vidmm.Allocation;
import vidmm.ApertureMapping;
import vidmm.DeviceInfo;
import vidmm.FenceWait;
import vidmm.GpuFault;
import vidmm.ProcessRegistration;
import vidmm.VidMm;
import vidmm.VidMmEvents;
import vidmm.VidMmException;
import vidmm.VideoMemoryInfo;
import vidmm.VidMmStatus;

/**
 * VidMm for the IoMmu model. Bookkeeping and every driver call happen under {@link #lock}, so the
 * driver sees one call at a time. Interrupts arrive on engine threads and touch only device fence
 * state; fault recovery (engine reset, adapter reset, resubmission) runs on VidMm's own thread.
 */
@Component(service = {VidMm.class, ProcessListener.class}, immediate = true, configurationPid = VidMmConfig.PID)
@Designate(ocd = VidMmConfig.class)
public final class VideoMemoryManager implements VidMm, ProcessListener {
    private static final System.Logger LOG = System.getLogger(VideoMemoryManager.class.getName());
    static final long MAX_ALLOCATION = 64L << 30;

    /** A process registered with the IOMMU; {@code kmdHandle} is the attached driver's handle of it. */
    private static final class ProcessState {
        final int pid;
        final int pasid;
        final boolean boundHere;
        final List<Long> devices = new ArrayList<>();
        long kmdHandle;

        ProcessState(int pid, int pasid, long kmdHandle, boolean boundHere) {
            this.pid = pid;
            this.pasid = pasid;
            this.kmdHandle = kmdHandle;
            this.boundHere = boundHere;
        }
    }

    /** A kernel-mode driver service VidMm may attach. */
    private record Candidate(KernelModeDriver kmd, long serviceId, int ranking, int score, String name) {
    }

    /** A primary a source displays: its aperture range and the pin that keeps its frames. */
    private record Displayed(int source, AllocationState allocation, long firstPage, long pages, PinnedPages pin) {
    }

    private final MemoryManager mm;
    private final Residency residency;
    private final TdrWatchdog watchdog;
    private final Object lock = new Object();
    /** The attached driver, or null; guarded by {@link #lock}. */
    private KernelModeDriver kmd;
    private volatile AdapterStatus adapter = noDriver();
    /** Faults, resets, driver changes and presents go to it as events ({@link VidMmEvents}) when there is one. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin events;
    /** The candidate {@link #kmd} came from (kept when its service goes, to name it). */
    private Candidate attached;
    /** Identifies the current attachment; interrupts of an earlier one are ignored. */
    private volatile Object attachment;
    private final Map<KernelModeDriver, Candidate> candidates = new LinkedHashMap<>();
    private final Map<Long, String> refusedDrivers = new LinkedHashMap<>();
    /** Set by {@link #stop()}: SCR unbinds drivers after deactivation, which must not attach anything. */
    private boolean stopped;
    private final Map<Integer, ProcessState> processes = new LinkedHashMap<>();
    private final Map<Long, DeviceState> devices = new LinkedHashMap<>();
    private final Map<Long, DeviceState> byKmdHandle = new ConcurrentHashMap<>();
    private final Map<Long, AllocationState> allocations = new LinkedHashMap<>();
    private final FaultLog faults = new FaultLog();
    private final AtomicLong handles = new AtomicLong(0x100);
    private final PagingFence pagingFence = new PagingFence();
    private volatile List<VidPnSourceMode> sourceModes = List.of();
    private ApertureSpace aperture = new ApertureSpace(0, 0, 0);
    private final Map<Integer, Displayed> displayed = new java.util.TreeMap<>();
    private final ExecutorService recovery = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vidmm-recovery");
        t.setDaemon(true);
        return t;
    });

    @Activate
    public VideoMemoryManager(@Reference MemoryManager mm, VidMmConfig config) {
        this.mm = mm;
        this.residency = new Residency(mm, Math.max(1, config.budgetMiB()) << 20);
        this.watchdog = new TdrWatchdog(new TdrPolicy(Math.max(10, config.tdrDelayMillis()),
                Math.max(1, config.tdrLimitCount()), Math.max(1, config.tdrLimitTimeSeconds()) * 1000));
        watchdog.start(this::detectTimeouts);
    }

    /** VidMm with a residency budget of {@code budgetBytes} per process and {@code kmd} as its only driver. */
    public VideoMemoryManager(KernelModeDriver kmd, MemoryManager mm, long budgetBytes) {
        this(kmd, mm, budgetBytes, TdrPolicy.defaults());
    }

    VideoMemoryManager(KernelModeDriver kmd, MemoryManager mm, long budgetBytes, TdrPolicy tdr) {
        this.mm = mm;
        this.residency = new Residency(mm, budgetBytes);
        this.watchdog = new TdrWatchdog(tdr);
        watchdog.start(this::detectTimeouts);
        addDriver(kmd, Map.of());
    }

    private static AdapterStatus noDriver() {
        return new AdapterStatus(AdapterStatus.State.STOPPED, null, "no kernel-mode driver is attached", null);
    }

    // ---- driver binding (OSGi Device Access order: score, ranking, service id) ----

    /** A driver service arrived (or SCR binds one at activation): attach it if it is now the best. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void addDriver(KernelModeDriver driver, Map<String, Object> properties) {
        synchronized (lock) {
            candidates.put(driver, new Candidate(driver, number(properties.get("service.id")),
                    (int) number(properties.get("service.ranking")), (int) number(properties.get(KernelModeDriver.MATCH_SCORE)),
                    String.valueOf(properties.getOrDefault(KernelModeDriver.NAME, driver.getClass().getSimpleName()))));
            reconsiderLocked();
        }
    }

    /** A driver service is going (its bundle stops): if attached, VidMm moves to the next best first. */
    public void removeDriver(KernelModeDriver driver) {
        synchronized (lock) {
            Candidate gone = candidates.remove(driver);
            if (gone != null) {
                refusedDrivers.remove(gone.serviceId());
            }
            reconsiderLocked();
        }
    }

    private static long number(Object value) {
        return value instanceof Number n ? n.longValue() : 0;
    }

    private Candidate best() {
        Candidate best = null;
        for (Candidate c : candidates.values()) {
            if (refusedDrivers.containsKey(c.serviceId())) {
                continue;
            }
            if (best == null || c.score() > best.score() || (c.score() == best.score() && (c.ranking() > best.ranking()
                    || (c.ranking() == best.ranking() && c.serviceId() < best.serviceId())))) {
                best = c;
            }
        }
        return best;
    }

    /** Attaches the best driver if it is not the attached one, replaying every live object to it. */
    private void reconsiderLocked() {
        if (stopped) {
            return;
        }
        Candidate best = best();
        if (best != null && kmd != null && best.kmd() == attached.kmd()) {
            return;
        }
        if (kmd != null) {
            detachLocked(true);
        }
        while (best != null) {
            String refusal = attachLocked(best);
            if (refusal == null) {
                return;
            }
            refusedDrivers.put(best.serviceId(), refusal);
            post(VidMmEvents.DRIVER_REFUSED, VidMmEventProperties.driver(best.name(), best.serviceId(), refusal));
            adapter = new AdapterStatus(AdapterStatus.State.REFUSED, null, best.name() + ": " + refusal, adapter.info());
            best = best();
        }
        if (adapter.state() == AdapterStatus.State.STARTED) {
            adapter = noDriver();
        }
    }

    /**
     * Quiesces and detaches the attached driver: exclusive access, in-flight submissions finish (or,
     * after two seconds, their devices are put in error), then StopDevice. Processes keep their memory.
     */
    private void detachLocked(boolean quiesce) {
        KernelModeDriver old = kmd;
        quietly(old::beginExclusiveAccess);
        if (quiesce) {
            long deadline = System.nanoTime() + 2_000_000_000L;
            for (DeviceState d : devices.values()) {
                try {
                    if (!d.awaitIdle(deadline)) {
                        d.fault(); // its submissions cannot finish on a driver that is going
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    d.fault();
                }
            }
        }
        attachment = null;
        quietly(old::stopDevice);
        post(VidMmEvents.DRIVER_DETACHED, VidMmEventProperties.driver(attached.name(), attached.serviceId(), null));
        kmd = null;
        attached = null;
        byKmdHandle.clear();
        adapter = noDriver();
    }

    /**
     * Starts {@code c} and replays VidMm's state to it. Returns null when attached, or why it was
     * refused; a refused driver is stopped again and VidMm's state is as it was.
     */
    private String attachLocked(Candidate c) {
        KernelModeDriver driver = c.kmd();
        AdapterInfo info;
        try {
            info = driver.queryAdapterInfo();
        } catch (RuntimeException e) {
            return "QueryAdapterInfo failed: " + e;
        }
        String refusal = CapsValidator.refusal(info);
        if (refusal != null) {
            return refusal;
        }
        Object token = new Object();
        attachment = token;
        try {
            driver.startDevice(n -> {
                if (attachment == token) {
                    interrupt(n);
                }
            });
        } catch (RuntimeException e) {
            attachment = null;
            return "StartDevice failed: " + e;
        }
        KernelModeDriver previous = kmd;
        Candidate previousCandidate = attached;
        Map<ProcessState, Long> oldProcessHandles = new HashMap<>();
        Map<DeviceState, Long> oldDeviceHandles = new HashMap<>();
        processes.values().forEach(p -> oldProcessHandles.put(p, p.kmdHandle));
        devices.values().forEach(d -> oldDeviceHandles.put(d, d.kmdHandle));
        ApertureSpace oldAperture = aperture;
        List<VidPnSourceMode> oldModes = sourceModes;
        kmd = DdiTracing.wrap(driver, c.name(), this::post); // every DDI call timed and posted
        try {
            replayLocked(info);
            adapter = new AdapterStatus(AdapterStatus.State.STARTED, AdapterStatus.AddressingModel.IOMMU, null, info);
            attached = c;
            watchdog.policy().reset();
            post(VidMmEvents.DRIVER_ATTACHED, VidMmEventProperties.driver(c.name(), c.serviceId(), null));
            return null;
        } catch (RuntimeException e) {
            attachment = null;
            quietly(driver::stopDevice);
            kmd = previous;
            attached = previousCandidate;
            oldProcessHandles.forEach((p, h) -> p.kmdHandle = h);
            oldDeviceHandles.forEach((d, h) -> d.kmdHandle = h);
            byKmdHandle.clear();
            aperture = oldAperture;
            sourceModes = oldModes;
            return "replaying VidMm's state failed: " + e.getMessage();
        }
    }

    /** Tells the just-started driver about every process, device, allocation and displayed primary. */
    private void replayLocked(AdapterInfo info) {
        ApertureSpace space = new ApertureSpace(0, 0, 0);
        for (SegmentDescriptor s : info.segments()) {
            if (s.apertureSegment()) {
                space = new ApertureSpace(s.id(), s.size() >>> 12, info.driverCaps().apertureSegmentCommitLimit());
                break;
            }
        }
        for (Displayed x : displayed.values()) {
            space.reserveAt(x.firstPage(), x.pages());
        }
        List<VidPnSourceMode> modes = List.copyOf(kmd.queryVidPnSourceModes());
        for (ProcessState p : processes.values()) {
            p.kmdHandle = kmd.createProcess(p.pid, p.pasid);
        }
        byKmdHandle.clear();
        for (DeviceState d : devices.values()) {
            d.kmdHandle = kmd.createDevice(processes.get(d.pid).kmdHandle, d.pasid);
            byKmdHandle.put(d.kmdHandle, d);
            for (AllocationState a : d.allocations.values()) {
                if (a.owner) {
                    AllocationRequest request = new AllocationRequest(a.size, a.flags);
                    AllocationDescription desc = kmd.createAllocation(d.kmdHandle, request);
                    checkDescription(request, desc);
                    if (((desc.size() + 4095) & ~4095L) != a.size) {
                        throw new IllegalStateException("the driver describes allocation 0x" + Long.toHexString(a.handle)
                                + " as " + desc.size() + " bytes, but it is backed by " + a.size);
                    }
                }
                kmd.openAllocation(d.kmdHandle, a.handle, a.va, a.size);
            }
        }
        aperture = space;
        sourceModes = modes;
        for (Displayed x : displayed.values()) {
            paging("MapApertureSegment", new PagingOperation.MapApertureSegment(space.segmentId, x.firstPage(), x.pin().frames()));
            kmd.setVidPnSourceAddress(x.source(), space.segmentId, x.firstPage() << 12);
        }
    }

    /** Drivers VidMm knows, for {@code kmd:list}. */
    @Override
    public List<vidmm.DriverBinding> drivers() {
        synchronized (lock) {
            List<vidmm.DriverBinding> list = new ArrayList<>();
            for (Candidate c : candidates.values()) {
                list.add(new vidmm.DriverBinding(c.name(), c.serviceId(), c.score(), c.ranking(), attached != null && c.kmd() == attached.kmd(),
                        refusedDrivers.get(c.serviceId())));
            }
            return list;
        }
    }

    /** Destroys every device (returning its memory and PASID) and stops the driver. */
    @Deactivate
    public void stop() {
        synchronized (lock) {
            stopped = true;
            for (Integer source : new ArrayList<>(displayed.keySet())) {
                blankLocked(source);
            }
            for (Long device : new ArrayList<>(devices.keySet())) {
                destroyDeviceLocked(devices.get(device));
            }
            if (kmd != null) {
                detachLocked(false);
            }
        }
        recovery.shutdown();
        watchdog.stop();
    }

    @Override
    public AdapterStatus adapter() {
        return adapter;
    }

    // ---- helpers ----

    private void requireStarted() {
        if (adapter.state() != AdapterStatus.State.STARTED) {
            throw new VidMmException(VidMmStatus.ADAPTER_NOT_STARTED, "the adapter is not started: " + adapter.reason());
        }
    }

    private DeviceState deviceLocked(long handle) {
        DeviceState d = devices.get(handle);
        if (d == null) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, "no device has handle 0x" + Long.toHexString(handle));
        }
        return d;
    }

    private static void requireActive(DeviceState d) {
        if (!d.active()) {
            throw new VidMmException(VidMmStatus.DEVICE_IN_ERROR, "device 0x" + Long.toHexString(d.handle)
                    + " faulted and accepts no more work; destroy it and create another");
        }
    }

    private AllocationState allocationLocked(DeviceState d, long handle) {
        AllocationState a = d.allocations.get(handle);
        if (a == null) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, "device 0x" + Long.toHexString(d.handle)
                    + " has no allocation 0x" + Long.toHexString(handle));
        }
        return a;
    }

    /** Runs a driver call; a driver exception becomes DRIVER_REFUSED naming the DDI. */
    private static <T> T ddi(String name, Supplier<T> call) {
        try {
            return call.get();
        } catch (VidMmException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new VidMmException(VidMmStatus.DRIVER_REFUSED, name + " failed: " + e.getMessage(), e);
        }
    }

    private static void ddi(String name, Runnable call) {
        ddi(name, () -> {
            call.run();
            return null;
        });
    }

    /** Runs an OS call; a MemoryException becomes MEMORY_MANAGER_REFUSED with its message. */
    static <T> T os(Supplier<T> call) {
        try {
            return call.get();
        } catch (MemoryException e) {
            throw new VidMmException(VidMmStatus.MEMORY_MANAGER_REFUSED, e.getMessage(), e);
        }
    }

    static void quietly(Runnable cleanup) {
        try {
            cleanup.run();
        } catch (RuntimeException e) {
            System.getLogger(VideoMemoryManager.class.getName()).log(System.Logger.Level.WARNING, "cleanup failed", e);
        }
    }

    // ---- devices and process registration ----

    @Override
    public long createDevice(int pid) {
        synchronized (lock) {
            requireStarted();
            AddressSpace space = os(() -> mm.addressSpace(pid));
            ProcessState process = processes.get(pid);
            boolean first = process == null;
            if (first) {
                boolean alreadyBound = space.pasid() != 0;
                int pasid = os(() -> mm.bindIommu(pid));
                long hProcess;
                try {
                    hProcess = ddi("DxgkDdiCreateProcess", () -> kmd.createProcess(pid, pasid));
                } catch (VidMmException e) {
                    if (!alreadyBound) {
                        quietly(() -> mm.unbindIommu(pid));
                    }
                    throw e;
                }
                process = new ProcessState(pid, pasid, hProcess, !alreadyBound);
            }
            ProcessState p = process;
            long hDevice;
            try {
                hDevice = ddi("DxgkDdiCreateDevice", () -> kmd.createDevice(p.kmdHandle, p.pasid));
            } catch (VidMmException e) {
                if (first) {
                    unregisterLocked(p);
                }
                throw e;
            }
            processes.put(pid, p);
            DeviceState d = new DeviceState(handles.incrementAndGet(), pid, p.pasid, hDevice);
            devices.put(d.handle, d);
            byKmdHandle.put(hDevice, d);
            p.devices.add(d.handle);
            return d.handle;
        }
    }

    private void unregisterLocked(ProcessState p) {
        if (kmd != null) {
            quietly(() -> kmd.destroyProcess(p.kmdHandle));
        }
        if (p.boundHere) {
            quietly(() -> mm.unbindIommu(p.pid));
        }
        processes.remove(p.pid);
    }

    @Override
    public void destroyDevice(long device) {
        synchronized (lock) {
            destroyDeviceLocked(deviceLocked(device));
        }
    }

    private void destroyDeviceLocked(DeviceState d) {
        drainLocked(d);
        for (Displayed x : new ArrayList<>(displayed.values())) {
            if (x.allocation().device == d) {
                blankLocked(x.source());
            }
        }
        List<AllocationState> all = new ArrayList<>(d.allocations.values());
        all.sort(Comparator.comparing(a -> a.owner)); // opened ones first
        for (AllocationState a : all) {
            destroyAllocationLocked(a);
        }
        if (kmd != null) {
            quietly(() -> kmd.destroyDevice(d.kmdHandle));
        }
        devices.remove(d.handle);
        byKmdHandle.remove(d.kmdHandle);
        ProcessState p = processes.get(d.pid);
        p.devices.remove(d.handle);
        if (p.devices.isEmpty()) {
            unregisterLocked(p);
        }
    }

    /**
     * No work of a device that goes may run once its PASID can be given to another process: its
     * queued submissions are waited for (up to two seconds), or else cut off by resetting the engines
     * that hold them (the other devices' work there is resubmitted).
     */
    private void drainLocked(DeviceState d) {
        if (kmd == null) {
            return; // no driver: nothing of it runs
        }
        try {
            d.awaitIdle(System.nanoTime() + 2_000_000_000L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        DeviceInfo info = d.info();
        if (info.completedFence() >= info.submittedFence()) {
            return; // everything it submitted completed: nothing of it is left on an engine
        }
        // still queued, or put in error by VidMm (a swap's quiesce, a timeout) while the engine may hold
        // its work: cut every engine that may hold it off, and give the others their work back
        Set<EngineNode> nodes = EnumSet.noneOf(EngineNode.class);
        if (info.status() == DeviceInfo.Status.ACTIVE) {
            for (EngineNode node : EngineNode.values()) {
                if (!d.pendingOn(node).isEmpty()) {
                    nodes.add(node);
                }
            }
        } else {
            nodes.addAll(EnumSet.allOf(EngineNode.class));
        }
        d.fault();
        for (EngineNode node : nodes) {
            quietly(() -> kmd.resetEngine(node));
            watchdog.progressed(node);
        }
        resubmitLocked(nodes, d);
    }

    @Override
    public void processExiting(int pid) {
        synchronized (lock) {
            ProcessState p = processes.get(pid);
            if (p != null) {
                for (Long device : new ArrayList<>(p.devices)) {
                    destroyDeviceLocked(devices.get(device));
                }
            }
        }
    }

    // ---- Allocate ----

    @Override
    public Allocation allocate(long device, long size, Set<AllocationFlag> flags) {
        java.util.Objects.requireNonNull(flags, "flags");
        synchronized (lock) {
            requireStarted();
            DeviceState d = deviceLocked(device);
            requireActive(d);
            if (size <= 0 || size > MAX_ALLOCATION) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "allocation size must be 1.." + MAX_ALLOCATION
                        + " bytes, not " + size);
            }
            AllocationRequest request = new AllocationRequest(size, flags);
            AllocationDescription described = ddi("DxgkDdiCreateAllocation", () -> kmd.createAllocation(d.kmdHandle, request));
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
            long handle = handles.incrementAndGet();
            AllocationState a = new AllocationState(handle, d, va, desc.size(), desc.flags(), section,
                    shared ? handle : 0, true);
            try {
                ddi("DxgkDdiOpenAllocation", () -> kmd.openAllocation(d.kmdHandle, handle, va, desc.size()));
            } catch (VidMmException e) {
                quietly(() -> kmd.destroyAllocation(handle));
                quietly(() -> space.release(va));
                if (shared) {
                    quietly(() -> mm.closeSection(section));
                }
                throw e;
            }
            d.allocations.put(handle, a);
            allocations.put(handle, a);
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

    @Override
    public Allocation openShared(long device, long sharedHandle) {
        synchronized (lock) {
            requireStarted();
            DeviceState d = deviceLocked(device);
            requireActive(d);
            AllocationState source = allocations.get(sharedHandle);
            if (source == null || !source.owner) {
                throw new VidMmException(VidMmStatus.INVALID_HANDLE, "no allocation was created with handle 0x"
                        + Long.toHexString(sharedHandle));
            }
            if (source.section == 0) {
                throw new VidMmException(VidMmStatus.NOT_SHARED, "allocation 0x" + Long.toHexString(sharedHandle)
                        + " was not created SHARED");
            }
            AddressSpace space = os(() -> mm.addressSpace(d.pid));
            long va = os(() -> space.mapSection(source.section, PageProtection.READWRITE));
            long handle = handles.incrementAndGet();
            AllocationState a = new AllocationState(handle, d, va, source.size, source.flags, source.section,
                    source.handle, false);
            try {
                ddi("DxgkDdiOpenAllocation", () -> kmd.openAllocation(d.kmdHandle, handle, va, source.size));
            } catch (VidMmException e) {
                quietly(() -> space.release(va));
                throw e;
            }
            d.allocations.put(handle, a);
            allocations.put(handle, a);
            return a.info();
        }
    }

    @Override
    public void destroyAllocation(long device, long allocation) {
        synchronized (lock) {
            DeviceState d = deviceLocked(device);
            AllocationState a = allocationLocked(d, allocation);
            for (Displayed x : displayed.values()) {
                if (x.allocation() == a) {
                    throw new VidMmException(VidMmStatus.ALLOCATION_IN_USE, "allocation 0x" + Long.toHexString(allocation)
                            + " is displayed on source " + x.source() + "; present another primary there first");
                }
            }
            destroyAllocationLocked(a);
        }
    }

    private void destroyAllocationLocked(AllocationState a) {
        DeviceState d = a.device;
        if (a.pin != null) {
            unpinLocked(a);
        }
        if (kmd != null) {
            quietly(() -> kmd.closeAllocation(d.kmdHandle, a.handle));
            if (a.owner) {
                quietly(() -> kmd.destroyAllocation(a.handle));
            }
        }
        quietly(() -> mm.addressSpace(d.pid).release(a.va));
        if (a.owner && a.section != 0) {
            quietly(() -> mm.closeSection(a.section));
        }
        d.allocations.remove(a.handle);
        d.evictedForBudget.remove(a.handle);
        allocations.remove(a.handle);
    }

    // ---- residency ----

    @Override
    public long makeResident(long device, List<Long> handles) {
        synchronized (lock) {
            requireStarted();
            DeviceState d = deviceLocked(device);
            List<AllocationState> list = new ArrayList<>();
            for (long h : handles) {
                list.add(allocationLocked(d, h));
            }
            makeResidentLocked(d, list);
            long fence = pagingFence.next();
            pagingFence.completed(fence); // pinning is synchronous in the IoMmu model
            return fence;
        }
    }

    private void makeResidentLocked(DeviceState d, List<AllocationState> list) {
        makeResidentLocked(d, list, list);
    }

    private void makeResidentLocked(DeviceState d, List<AllocationState> list, List<AllocationState> inUse) {
        Set<AllocationState> shown = new java.util.HashSet<>();
        displayed.values().forEach(x -> shown.add(x.allocation()));
        residency.makeResident(d, list, inUse, allocations.values(), shown);
    }

    @Override
    public void evict(long device, List<Long> handles) {
        synchronized (lock) {
            DeviceState d = deviceLocked(device);
            List<AllocationState> list = new ArrayList<>();
            for (long h : handles) {
                AllocationState a = allocationLocked(d, h);
                if (a.residencyRefs - java.util.Collections.frequency(list, a) <= 0) {
                    throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "allocation 0x" + Long.toHexString(h)
                            + " is not resident");
                }
                list.add(a);
            }
            for (AllocationState a : list) {
                if (--a.residencyRefs == 0) {
                    unpinLocked(a);
                }
            }
        }
    }

    private void unpinLocked(AllocationState a) {
        residency.unpin(a);
    }

    @Override
    public VideoMemoryInfo videoMemoryInfo(int pid) {
        synchronized (lock) {
            if (!processes.containsKey(pid)) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "process " + pid + " does not use the GPU (no device)");
            }
            return residency.info(pid, List.of());
        }
    }

    @Override
    public VideoMemoryInfo queryVideoMemoryInfo(long device) {
        synchronized (lock) {
            DeviceState d = deviceLocked(device);
            List<Long> evicted = new ArrayList<>(d.evictedForBudget);
            d.evictedForBudget.clear();
            return residency.info(d.pid, evicted);
        }
    }

    // ---- submission ----

    @Override
    public long submit(long device, EngineNode node, List<DmaCommand> commands) {
        java.util.Objects.requireNonNull(node, "engine node");
        synchronized (lock) {
            requireStarted();
            DeviceState d = deviceLocked(device);
            requireActive(d);
            if (commands == null || commands.isEmpty()) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "a submission needs at least one command");
            }
            List<AllocationState> touched = AllocationList.touched(d.allocations.values(), commands);
            List<AllocationState> notResident = new ArrayList<>();
            for (AllocationState a : touched) {
                if (a.pin == null) {
                    notResident.add(a);
                }
            }
            makeResidentLocked(d, notResident, touched);
            long fence = d.nextFence(node, commands);
            touched.forEach(a -> residency.used(a, fence));
            long submitted = System.nanoTime();
            try {
                ddi("DxgkDdiSubmitCommand", () -> kmd.submitCommand(d.kmdHandle, node, commands, fence));
            } catch (VidMmException e) {
                d.withdraw(fence);
                for (AllocationState a : notResident) {
                    unpinLocked(a);
                }
                throw e;
            }
            post(VidMmEvents.SUBMIT, VidMmEventProperties.submission(d.handle, d.pid, d.pasid, node, fence, commands,
                    submitted));
            return fence;
        }
    }

    @Override
    public FenceWait waitForFence(long device, long fence, long timeoutMillis) {
        DeviceState d;
        synchronized (lock) {
            d = deviceLocked(device);
        }
        try {
            return d.await(fence, Math.max(0, timeoutMillis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return FenceWait.TIMED_OUT;
        }
    }

    // ---- primaries and the aperture ----

    @Override
    public void present(long device, long allocation, int source) {
        synchronized (lock) {
            requireStarted();
            DeviceState d = deviceLocked(device);
            requireActive(d);
            AllocationState a = allocationLocked(d, allocation);
            if (!a.flags.contains(AllocationFlag.PRIMARY)) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "allocation 0x" + Long.toHexString(allocation)
                        + " is not a primary (allocate it with the PRIMARY flag)");
            }
            if (source < 0 || source >= sourceModes.size()) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "video present source " + source
                        + " does not exist; the driver reports " + sourceModes.size() + " source(s)");
            }
            VidPnSourceMode mode = sourceModes.get(source);
            if (a.size < mode.surfaceBytes()) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "primary of " + a.size + " bytes is smaller than"
                        + " source " + source + "'s " + mode.width() + "x" + mode.height() + " surface of "
                        + mode.surfaceBytes() + " bytes");
            }
            Displayed previous = displayed.get(source);
            if (previous != null && previous.allocation() == a) {
                return;
            }
            long pages = a.size >>> 12;
            long first = aperture.reserve(pages);
            PinnedPages pin;
            try {
                pin = os(() -> mm.addressSpace(d.pid).pin(a.va, a.size, false));
            } catch (VidMmException e) {
                aperture.release(first, pages);
                throw e;
            }
            try {
                paging("MapApertureSegment", new PagingOperation.MapApertureSegment(aperture.segmentId, first, pin.frames()));
            } catch (VidMmException e) {
                aperture.release(first, pages);
                quietly(() -> mm.addressSpace(d.pid).unpin(pin.handle()));
                throw e;
            }
            Displayed shown = new Displayed(source, a, first, pages, pin);
            try {
                ddi("DxgkDdiSetVidPnSourceAddress", () -> kmd.setVidPnSourceAddress(source, aperture.segmentId, first << 12));
            } catch (VidMmException e) {
                releaseDisplayLocked(shown);
                throw e;
            }
            displayed.put(source, shown);
            if (previous != null) {
                releaseDisplayLocked(previous);
            }
            post(VidMmEvents.PRESENT, VidMmEventProperties.present(d.handle, d.pid, a.handle, source, a.va));
        }
    }

    /** Runs a paging operation and waits for its paging fence. */
    private void paging(String name, PagingOperation op) {
        long fence = pagingFence.next();
        ddi("DxgkDdiBuildPagingBuffer(" + name + ")", () -> kmd.buildPagingBuffer(op, fence));
        pagingFence.await(fence, name, 5000);
    }

    /** Unmaps a primary from the aperture (dummy page again) and unpins it. */
    private void releaseDisplayLocked(Displayed x) {
        if (kmd != null) {
            try {
                paging("UnmapApertureSegment", new PagingOperation.UnmapApertureSegment(aperture.segmentId, x.firstPage(),
                        x.pages()));
            } catch (VidMmException e) {
                System.getLogger(VideoMemoryManager.class.getName()).log(System.Logger.Level.WARNING, e.getMessage());
            }
        }
        aperture.release(x.firstPage(), x.pages());
        quietly(() -> mm.addressSpace(x.allocation().device.pid).unpin(x.pin().handle()));
    }

    /** Turns a source off (no surface) and releases the primary it showed. */
    private void blankLocked(int source) {
        Displayed x = displayed.remove(source);
        if (kmd != null) {
            quietly(() -> kmd.setVidPnSourceAddress(source, 0, 0));
        }
        if (x != null) {
            releaseDisplayLocked(x);
        }
    }

    @Override
    public List<ApertureMapping> apertureMappings() {
        synchronized (lock) {
            List<ApertureMapping> list = new ArrayList<>();
            for (Displayed x : displayed.values()) {
                list.add(new ApertureMapping(x.source(), x.allocation().handle, x.allocation().device.pid, x.firstPage(),
                        x.pages(), x.pin().frames()));
            }
            return list;
        }
    }

    @Override
    public List<VidPnSourceMode> sourceModes() {
        return sourceModes;
    }

    // ---- events ----

    private void post(String topic, Map<String, Object> properties) {
        EventAdmin admin = events;
        if (admin != null) {
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

    // ---- interrupts and recovery ----

    private void interrupt(InterruptNotification n) {
        if (n.contextHandle() == 0 && n instanceof InterruptNotification.DmaCompleted) {
            pagingFence.completed(n.fenceValue());
            return;
        }
        DeviceState d = byKmdHandle.get(n.contextHandle());
        if (n instanceof InterruptNotification.DmaCompleted done) {
            if (d == null) {
                LOG.log(System.Logger.Level.WARNING, "the driver reported fence " + n.fenceValue()
                        + " of an unknown device context 0x" + Long.toHexString(n.contextHandle()) + "; ignored");
            } else if (!d.completed(n.fenceValue())) {
                LOG.log(System.Logger.Level.WARNING, "the driver reported fence " + n.fenceValue() + " of device 0x"
                        + Long.toHexString(d.handle) + ", which never submitted it; ignored");
            } else {
                watchdog.progressed(done.node());
                post(VidMmEvents.FENCE_COMPLETED, VidMmEventProperties.completion(d.handle, n.fenceValue()));
            }
            return;
        }
        InterruptNotification.DmaPageFaulted f = (InterruptNotification.DmaPageFaulted) n;
        GpuFault record = new GpuFault(faults.nextSequence(), d == null ? 0 : d.handle, d == null ? 0 : d.pid,
                f.node(), f.pasid(), f.faultedVa(), f.write(), f.reason(), "engine reset pending");
        faults.add(record);
        post(VidMmEvents.GPU_FAULT, VidMmEventProperties.fault(record));
        try {
            recovery.execute(() -> recover(f, record));
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // VidMm is stopping: the driver is being stopped too, nothing to recover
        }
        if (d != null) {
            d.fault(); // last: waiters see the fault recorded and its recovery queued
        }
    }

    /** Resets the faulted engine (escalating to an adapter reset), then resubmits other devices' work. */
    private void recover(InterruptNotification.DmaPageFaulted f, GpuFault pending) {
        String outcome;
        synchronized (lock) {
            if (kmd == null) {
                return; // the driver went away meanwhile; nothing to reset
            }
            Set<EngineNode> dropped = EnumSet.of(f.node());
            try {
                kmd.resetEngine(f.node());
                outcome = "engine reset";
            } catch (RuntimeException engineResetFailed) {
                dropped = EnumSet.allOf(EngineNode.class);
                outcome = "adapter reset (engine reset failed: " + engineResetFailed.getMessage() + ")";
                Candidate same = candidates.containsKey(attached.kmd()) ? attached : null;
                KernelModeDriver driver = kmd;
                detachLocked(false); // exclusive access, StopDevice
                for (EngineNode node : EngineNode.values()) {
                    quietly(() -> driver.resetEngine(node));
                }
                String refusal = same == null ? "driver gone" : attachLocked(same); // StartDevice and replay
                if (refusal != null) {
                    outcome += "; restarting the driver failed: " + refusal;
                    reconsiderLocked();
                }
            }
            resubmitLocked(dropped, byKmdHandle.get(f.contextHandle()));
        }
        GpuFault done = new GpuFault(pending.sequence(), pending.device(), pending.pid(), pending.node(), pending.pasid(),
                pending.va(), pending.write(), pending.reason(), outcome);
        faults.replace(pending, done);
        post(VidMmEvents.ENGINE_RESET, VidMmEventProperties.fault(done));
    }

    /**
     * Resubmits the queued work of every active device on {@code nodes} (an engine reset dropped it),
     * except {@code faulted}'s (its fault may not have put it in error yet).
     */
    private void resubmitLocked(Set<EngineNode> nodes, DeviceState faulted) {
        for (DeviceState d : devices.values()) {
            if (d != faulted && d.active() && kmd != null) {
                for (EngineNode node : nodes) {
                    d.pendingOn(node).forEach((fence, p) ->
                            quietly(() -> kmd.submitCommand(d.kmdHandle, p.node(), p.commands(), fence)));
                }
            }
        }
    }

    // ---- timeout detection and recovery ----

    /** The watchdog's tick: an engine that hung is recovered. */
    private void detectTimeouts() {
        try {
            synchronized (lock) {
                for (EngineNode node : EngineNode.values()) {
                    TdrWatchdog.Hang hang = stopped || kmd == null ? null : watchdog.hung(node, devices.values());
                    if (hang != null) {
                        timeoutLocked(hang.node(), hang.device(), hang.fence());
                    }
                }
            }
        } catch (RuntimeException e) {
            System.getLogger(VideoMemoryManager.class.getName()).log(System.Logger.Level.ERROR, "TDR watchdog failed", e);
        }
    }

    /**
     * TDR: the device that hung is put in error (its fences complete with an error), the engine is
     * reset, other devices' queued work is resubmitted; past TdrLimitCount within TdrLimitTime the
     * driver is given up and the next best one tried.
     */
    private void timeoutLocked(EngineNode node, DeviceState hung, long fence) {
        hung.fault();
        String outcome;
        try {
            kmd.resetEngine(node);
            outcome = "engine reset (TDR)";
        } catch (RuntimeException e) {
            outcome = "engine reset failed: " + e.getMessage();
        }
        watchdog.progressed(node);
        resubmitLocked(EnumSet.of(node), hung);
        TdrPolicy tdr = watchdog.policy();
        if (tdr.timedOut(System.currentTimeMillis())) {
            String why = "TDR limit: more than " + tdr.limitCount + " timeouts within " + tdr.limitWindowMillis / 1000 + " s";
            Candidate given = attached;
            refusedDrivers.put(given.serviceId(), why);
            post(VidMmEvents.DRIVER_REFUSED, VidMmEventProperties.driver(given.name(), given.serviceId(), why));
            detachLocked(false);
            reconsiderLocked();
            outcome += "; " + why + ": " + given.name() + " given up";
        }
        GpuFault record = new GpuFault(faults.nextSequence(), hung.handle, hung.pid, node, hung.pasid, 0, false,
                "TIMEOUT: fence " + fence + " made no progress for " + tdr.delayMillis + " ms", outcome);
        faults.add(record);
        post(VidMmEvents.TIMEOUT, VidMmEventProperties.fault(record));
    }

    // ---- queries ----

    @Override
    public DeviceInfo device(long device) {
        synchronized (lock) {
            return deviceLocked(device).info();
        }
    }

    @Override
    public List<ProcessRegistration> processes() {
        synchronized (lock) {
            List<ProcessRegistration> list = new ArrayList<>();
            for (ProcessState p : processes.values()) {
                list.add(new ProcessRegistration(p.pid, p.pasid, p.devices));
            }
            return list;
        }
    }

    @Override
    public List<Allocation> allocations() {
        synchronized (lock) {
            List<Allocation> list = new ArrayList<>();
            for (AllocationState a : allocations.values()) {
                list.add(a.info());
            }
            return list;
        }
    }

    @Override
    public List<GpuFault> faults() {
        return faults.list();
    }

    /** Waits until recovery work queued so far has run (tests and the shell use it). */
    void awaitRecovery() throws Exception {
        recovery.submit(() -> { }).get(5, TimeUnit.SECONDS);
    }
}
