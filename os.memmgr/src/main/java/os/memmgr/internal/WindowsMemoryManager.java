package os.memmgr.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.metatype.annotations.Designate;

import iommu.hw.Iommu;
import iommu.hw.arch.Architecture;
import iommu.hw.SystemMemory;
import iommu.hw.driver.IommuDriverFactory;
import iommu.hw.driver.TableFrames;
import os.memmgr.AddressSpace;
import os.memmgr.FrameCounts;
import os.memmgr.GpuFaultPolicy;
import os.memmgr.MemoryException;
import os.memmgr.MemoryEvents;
import os.memmgr.MemoryManager;
import os.memmgr.PagingInfo;
import os.memmgr.ProcessInfo;
import os.memmgr.IommuDeviceListener;
import os.memmgr.ProcessListener;
import os.memmgr.SectionInfo;
import os.memmgr.Status;

/**
 * The memory manager: the process table, the PFN database, the pagefile, the commit charge, the
 * trimmer, sections and PASIDs (per IOMMU unit). It answers every unit's page requests with the same
 * fault handler the CPU uses.
 */
@Component(service = MemoryManager.class, immediate = true, configurationPid = PagingConfig.PID)
@Designate(ocd = PagingConfig.class)
public final class WindowsMemoryManager implements MemoryManager, ProcessAddressSpace.Kernel {
    private static final System.Logger LOG = System.getLogger(WindowsMemoryManager.class.getName());

    private final SystemMemory memory;
    private final IommuUnits units;
    private final FrameDatabase frames;
    private final PagingFile pagefile;
    private final CommitCharge commit;
    private final Trimmer trimmer;
    private final Map<Integer, ProcessAddressSpace> processes = new ConcurrentHashMap<>();
    private final Map<Long, Section> sections = new ConcurrentHashMap<>();
    private final List<ProcessListener> listeners = new CopyOnWriteArrayList<>();
    private final List<IommuDeviceListener> deviceListeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger lastPid = new AtomicInteger();
    private final AtomicLong lastHandle = new AtomicLong(0x100);
    /** Process lifecycle and page-outs go to it as events ({@link MemoryEvents}) when there is one. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin events;

    /**
     * Starts with the configured pagefile. A pagefile that cannot be opened is reported and the
     * system runs without one (its commit limit is then RAM alone).
     */
    @Activate
    public WindowsMemoryManager(@Reference SystemMemory memory, PagingConfig config) {
        this(memory, null, null, openPagefile(config), lowWaterPercent(config.lowWaterPercent()));
        setGpuFaultPolicy(GpuFaultPolicy.WINDOWS); // until os.memmgr.GpuFaults says otherwise; tests' instances keep SVA
    }

    /**
     * Without a pagefile, trimming at 1% of memory, with {@code iommu} as its one unit and
     * {@code drivers} as the driver factory of its architecture: for tests. This
     * and the other constructors below start with {@link GpuFaultPolicy#SVA} (page requests), which the
     * tests of the paging machinery exercise; the component starts with WINDOWS.
     */
    WindowsMemoryManager(SystemMemory memory, Iommu iommu, IommuDriverFactory drivers) {
        this(memory, iommu, drivers, PagingFile.none(), 1);
    }

    /** With a pagefile of {@code pagefileMiB} at {@code pagefile} (for benchmarks and embedding). */
    WindowsMemoryManager(SystemMemory memory, Iommu iommu, IommuDriverFactory drivers, java.nio.file.Path pagefile,
                         long pagefileMiB, int lowWaterPercent) {
        this(memory, iommu, drivers, PagingFile.open(pagefile, pagefileMiB), lowWaterPercent);
    }

    /**
     * With a pagefile whose I/O operation {@code n} fails when {@code failIo.test(n)}: for
     * fail-the-Nth-call tests of everything above the pagefile.
     */
    WindowsMemoryManager(SystemMemory memory, Iommu iommu, IommuDriverFactory drivers, java.nio.file.Path pagefile,
                         long pagefileMiB, int lowWaterPercent, java.util.function.LongPredicate failIo) {
        this(memory, iommu, drivers, PagingFile.open(pagefile, pagefileMiB, failIo), lowWaterPercent);
    }

    WindowsMemoryManager(SystemMemory memory, Iommu iommu, IommuDriverFactory drivers, PagingFile pagefile,
                         int lowWaterPercent) {
        this.memory = memory;
        this.frames = new FrameDatabase(memory);
        this.units = new IommuUnits(new TableFrames() {
            @Override
            public long allocate() { // the unit's tables: frames of the OS's, counted apart from the processes' page tables
                return allocateFrame(FrameDatabase.State.IOMMU_TABLE, null) << SystemMemory.FRAME_SHIFT;
            }

            @Override
            public long allocateContiguous(int count) {
                long first = frames.allocateContiguous(count, FrameDatabase.State.IOMMU_TABLE);
                if (first < 0) {
                    throw new MemoryException(Status.NO_MEMORY, "no " + count + " free frames in a row for an IOMMU table");
                }
                return first << SystemMemory.FRAME_SHIFT;
            }

            @Override
            public void free(long address) {
                frames.free(address >>> SystemMemory.FRAME_SHIFT);
            }
        }, this::deviceTimedOut);
        this.pagefile = pagefile;
        this.commit = new CommitCharge(memory.frameCount() - 1 + pagefile.slots());
        this.trimmer = new Trimmer(frames, processes::values, memory.frameCount() * lowWaterPercent / 100);
        if (drivers != null && iommu != null) {
            units.addFactory(iommu.architecture(), drivers);
        }
        if (iommu != null) {
            addIommu(iommu);
        }
    }

    /**
     * An IOMMU unit arrived: the memory manager answers its page requests and may register address
     * spaces with it. A second unit with the same index is reported and ignored.
     */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void addIommu(Iommu iommu) {
        if (!units.add(iommu)) {
            LOG.log(System.Logger.Level.ERROR, "two IOMMU units have index " + iommu.unit() + " (" + Iommu.UNIT
                    + "); the second is not used");
        }
    }

    @Override
    public GpuFaultPolicy gpuFaultPolicy() {
        return units.pageRequests() ? GpuFaultPolicy.SVA : GpuFaultPolicy.WINDOWS;
    }

    @Override
    public void setGpuFaultPolicy(GpuFaultPolicy policy) {
        java.util.Objects.requireNonNull(policy, "GPU fault policy");
        units.setPageRequests(policy == GpuFaultPolicy.SVA);
    }

    /** A unit went away with its PASID table: the address spaces bound to it forget the binding. */
    public void removeIommu(Iommu iommu) {
        IommuUnits.Unit gone = units.remove(iommu);
        if (gone != null) {
            unitsGone(List.of(gone));
        }
    }

    private void unitsGone(List<IommuUnits.Unit> gone) {
        for (IommuUnits.Unit unit : gone) {
            for (ProcessAddressSpace space : processes.values()) {
                space.unitGone(unit);
            }
        }
    }

    /**
     * The OS-side driver of an IOMMU architecture ({@code iommu.arch}) arrived: the units of that
     * architecture are driven by it from now on.
     */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void addDriverFactory(IommuDriverFactory factory, Map<String, Object> properties) {
        Object arch = properties.get(Architecture.ARCH);
        if (arch == null) {
            LOG.log(System.Logger.Level.ERROR, "an IOMMU driver factory without " + Architecture.ARCH + " is not used: " + factory);
            return;
        }
        units.addFactory(String.valueOf(arch), factory);
    }

    /** An architecture's driver went away: its units are not used until it is back, and the address spaces bound to them forget it. */
    public void removeDriverFactory(IommuDriverFactory factory, Map<String, Object> properties) {
        Object arch = properties.get(Architecture.ARCH);
        if (arch != null) {
            unitsGone(units.removeFactory(String.valueOf(arch), factory));
        }
    }

    private static PagingFile openPagefile(PagingConfig config) {
        long mib = config.sizeMiB();
        if (mib < 0 || mib > PagingConfig.MAX_MIB) {
            LOG.log(System.Logger.Level.ERROR, "configuration " + PagingConfig.PID + ": sizeMiB must be 0.."
                    + PagingConfig.MAX_MIB + ", not " + mib + "; running without a pagefile");
            return PagingFile.none();
        }
        try {
            return PagingFile.open(java.nio.file.Path.of(config.path()), mib);
        } catch (java.io.UncheckedIOException | java.nio.file.InvalidPathException e) {
            LOG.log(System.Logger.Level.ERROR, "configuration " + PagingConfig.PID + ": " + e.getMessage()
                    + "; running without a pagefile");
            return PagingFile.none();
        }
    }

    private static int lowWaterPercent(int percent) {
        if (percent < 0 || percent > 50) {
            LOG.log(System.Logger.Level.ERROR, "configuration " + PagingConfig.PID + ": lowWaterPercent must be 0..50, not "
                    + percent + "; using 1");
            return 1;
        }
        return percent;
    }

    /** The low-water mark applies at once; the pagefile's path and size at the next start. */
    @Modified
    void modified(PagingConfig config) {
        trimmer.setLowWater(memory.frameCount() * lowWaterPercent(config.lowWaterPercent()) / 100);
        long slots = config.sizeMiB() << 8;
        if (slots != pagefile.slots() || (pagefile.path() != null && !pagefile.path().equals(java.nio.file.Path.of(config.path())))) {
            LOG.log(System.Logger.Level.WARNING, "configuration " + PagingConfig.PID + ": the pagefile (" + config.path()
                    + ", " + config.sizeMiB() + " MiB) takes effect at the next start of the memory manager");
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void addProcessListener(ProcessListener listener) {
        listeners.add(listener);
    }

    public void removeProcessListener(ProcessListener listener) {
        listeners.remove(listener);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void addDeviceListener(IommuDeviceListener listener) {
        deviceListeners.add(listener);
    }

    public void removeDeviceListener(IommuDeviceListener listener) {
        deviceListeners.remove(listener);
    }

    /** A unit's driver saw a device time out a device-TLB invalidation: whoever drives the device resets it. */
    private void deviceTimedOut(int unit, iommu.hw.RequesterId device) {
        if (deviceListeners.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "IOMMU unit " + unit + ": device " + device
                    + " timed out a device-TLB invalidation and nobody resets it; its translated requests stay refused");
        }
        for (IommuDeviceListener listener : deviceListeners) {
            try {
                listener.invalidationTimedOut(unit, device.value());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "IOMMU device listener " + listener + " threw: " + e);
            }
        }
    }

    /** Ends every process, so that no PASID stays bound to page tables that are gone, and stops answering page requests. */
    @Deactivate
    public void shutdown() {
        for (Integer pid : new ArrayList<>(processes.keySet())) {
            kill(pid);
        }
        units.clear();
        pagefile.close();
    }

    // ---- processes ----

    @Override
    public int spawn(String name) {
        if (name == null || name.isBlank()) {
            throw new MemoryException(Status.INVALID_PARAMETER, "spawn: process name is empty");
        }
        int pid = lastPid.addAndGet(4);
        processes.put(pid, new ProcessAddressSpace(pid, name, this));
        post(MemoryEvents.PROCESS_CREATED, Map.of(MemoryEvents.PID, pid, MemoryEvents.NAME, name));
        return pid;
    }

    @Override
    public void kill(int pid) {
        ProcessAddressSpace space = space(pid);
        for (ProcessListener listener : listeners) {
            try {
                listener.processExiting(pid);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "process listener " + listener + " threw on exit of " + pid, e);
            }
        }
        if (processes.remove(pid, space)) {
            space.terminate();
            post(MemoryEvents.PROCESS_EXITED, Map.of(MemoryEvents.PID, pid, MemoryEvents.NAME, space.name()));
        }
    }

    private ProcessAddressSpace space(int pid) {
        ProcessAddressSpace space = processes.get(pid);
        if (space == null) {
            throw new MemoryException(Status.INVALID_CID, "no process has pid " + pid);
        }
        return space;
    }

    @Override
    public List<ProcessInfo> processes() {
        List<ProcessInfo> list = new ArrayList<>();
        for (ProcessAddressSpace space : processes.values()) {
            list.add(space.info());
        }
        list.sort(Comparator.comparingInt(ProcessInfo::pid));
        return list;
    }

    @Override
    public AddressSpace addressSpace(int pid) {
        return space(pid);
    }

    @Override
    public int bindIommu(int pid, int unit) {
        return space(pid).bindIommu(unit);
    }

    @Override
    public void unbindIommu(int pid, int unit) {
        space(pid).unbindIommu(unit);
    }

    @Override
    public List<Integer> iommuUnits() {
        return units.indexes();
    }

    @Override
    public long trim(int pid, long pages) {
        if (pages < 1) {
            throw new MemoryException(Status.INVALID_PARAMETER, "trim: PAGES must be >= 1, not " + pages);
        }
        return space(pid).trim(pages);
    }

    @Override
    public PagingInfo paging() {
        long pagedOut = 0;
        for (ProcessAddressSpace space : processes.values()) {
            pagedOut += space.info().pagedOutPages();
        }
        return new PagingInfo(pagefile.path() == null ? null : pagefile.path().toAbsolutePath().toString(),
                pagefile.slots(), pagefile.usedSlots(), pagedOut, pagefile.pagesOut(), pagefile.pagesIn(),
                pagefile.pagesDropped(), pagefile.ioErrors(), commit.charged(), commit.limit(), trimmer.lowWater());
    }

    // ---- sections ----

    @Override
    public long createSection(long size) {
        if (size <= 0 || size > AddressSpace.MAX_RESERVATION) {
            throw new MemoryException(Status.INVALID_PARAMETER, "section size must be 1.."
                    + AddressSpace.MAX_RESERVATION + " bytes, not " + size);
        }
        long pages = (size + AddressSpace.PAGE_SIZE - 1) / AddressSpace.PAGE_SIZE;
        commit.charge("section", pages);
        long handle = lastHandle.incrementAndGet();
        sections.put(handle, new Section(handle, pages));
        return handle;
    }

    @Override
    public void closeSection(long handle) {
        Section section = section(handle);
        if (section.close()) {
            sectionUnmapped(section);
        }
    }

    @Override
    public List<SectionInfo> sections() {
        List<SectionInfo> list = new ArrayList<>();
        for (Section s : sections.values()) {
            list.add(s.info());
        }
        list.sort(Comparator.comparingLong(SectionInfo::handle));
        return list;
    }

    @Override
    public FrameCounts frames() {
        return frames.counts();
    }

    // ---- ProcessAddressSpace.Kernel ----

    @Override
    public SystemMemory memory() {
        return memory;
    }

    @Override
    public FrameDatabase frameDatabase() {
        return frames;
    }

    @Override
    public IommuUnits.Unit unit(int unit) {
        return units.get(unit);
    }

    @Override
    public PagingFile pagingFile() {
        return pagefile;
    }

    @Override
    public CommitCharge commitCharge() {
        return commit;
    }

    @Override
    public void pagedOut(ProcessAddressSpace space, java.util.SortedMap<Integer, Integer> pasids, long pages) {
        post(MemoryEvents.PAGE_OUT, Map.of(MemoryEvents.PID, space.pid(), MemoryEvents.PASIDS, MemoryEvents.pasids(pasids),
                MemoryEvents.PAGES, pages));
    }

    private void post(String topic, Map<String, Object> properties) {
        EventAdmin admin = events;
        if (admin != null) {
            properties = new java.util.HashMap<>(properties);
            properties.put(MemoryEvents.NANOS, System.nanoTime());
            try {
                admin.postEvent(new Event(topic, properties));
            } catch (RuntimeException stopping) {
                // an Event Admin that is going away: the model goes on without it
            }
        }
    }

    @Override
    public long allocateFrame(FrameDatabase.State state, ProcessAddressSpace requester) {
        return trimmer.allocate(state, requester);
    }

    @Override
    public Section section(long handle) {
        Section section = sections.get(handle);
        if (section == null || !section.isOpen()) {
            throw new MemoryException(Status.INVALID_HANDLE, "no open section has handle 0x" + Long.toHexString(handle));
        }
        return section;
    }

    @Override
    public void sectionUnmapped(Section section) {
        if (sections.remove(section.handle, section)) {
            section.freeFrames(frames);
            commit.release(section.pages());
        }
    }

    @Override
    public long nextPinHandle() {
        return lastHandle.incrementAndGet();
    }
}
