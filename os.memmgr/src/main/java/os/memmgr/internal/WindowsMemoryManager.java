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
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import iommu.hw.Iommu;
import iommu.hw.PageRequest;
import iommu.hw.PageRequestHandler;
import iommu.hw.PageResponse;
import iommu.hw.SystemMemory;
import os.memmgr.AddressSpace;
import os.memmgr.FrameCounts;
import os.memmgr.MemoryException;
import os.memmgr.MemoryManager;
import os.memmgr.ProcessInfo;
import os.memmgr.ProcessListener;
import os.memmgr.SectionInfo;
import os.memmgr.Status;

/**
 * The memory manager: the process table, the PFN database, sections and PASIDs. It answers the
 * IOMMU's page requests with the same fault handler the CPU uses.
 */
@Component(service = MemoryManager.class, immediate = true)
public final class WindowsMemoryManager implements MemoryManager, PageRequestHandler, ProcessAddressSpace.Kernel {
    private static final System.Logger LOG = System.getLogger(WindowsMemoryManager.class.getName());

    private final SystemMemory memory;
    private final Iommu iommu;
    private final FrameDatabase frames;
    private final PasidAllocator pasidAllocator = new PasidAllocator();
    private final Map<Integer, ProcessAddressSpace> processes = new ConcurrentHashMap<>();
    private final Map<Integer, ProcessAddressSpace> byPasid = new ConcurrentHashMap<>();
    private final Map<Long, Section> sections = new ConcurrentHashMap<>();
    private final List<ProcessListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger lastPid = new AtomicInteger();
    private final AtomicLong lastHandle = new AtomicLong(0x100);

    @Activate
    public WindowsMemoryManager(@Reference SystemMemory memory, @Reference Iommu iommu) {
        this.memory = memory;
        this.iommu = iommu;
        this.frames = new FrameDatabase(memory);
        iommu.setPageRequestHandler(this); // the one resolver of page requests
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void addProcessListener(ProcessListener listener) {
        listeners.add(listener);
    }

    public void removeProcessListener(ProcessListener listener) {
        listeners.remove(listener);
    }

    /** Ends every process, so that no PASID stays bound to page tables that are gone, and stops answering page requests. */
    @Deactivate
    public void shutdown() {
        for (Integer pid : new ArrayList<>(processes.keySet())) {
            kill(pid);
        }
        iommu.clearPageRequestHandler(this);
    }

    // ---- processes ----

    @Override
    public int spawn(String name) {
        if (name == null || name.isBlank()) {
            throw new MemoryException(Status.INVALID_PARAMETER, "spawn: process name is empty");
        }
        int pid = lastPid.addAndGet(4);
        processes.put(pid, new ProcessAddressSpace(pid, name, this));
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
    public int bindIommu(int pid) {
        return space(pid).bindIommu();
    }

    @Override
    public void unbindIommu(int pid) {
        space(pid).unbindIommu();
    }

    // ---- page requests ----

    @Override
    public PageResponse handle(PageRequest request) {
        ProcessAddressSpace space = byPasid.get(request.pasid());
        return space == null ? PageResponse.FAILURE : space.resolve(request.va(), request.access());
    }

    // ---- sections ----

    @Override
    public long createSection(long size) {
        if (size <= 0 || size > AddressSpace.MAX_RESERVATION) {
            throw new MemoryException(Status.INVALID_PARAMETER, "section size must be 1.."
                    + AddressSpace.MAX_RESERVATION + " bytes, not " + size);
        }
        long handle = lastHandle.incrementAndGet();
        sections.put(handle, new Section(handle, (size + AddressSpace.PAGE_SIZE - 1) / AddressSpace.PAGE_SIZE));
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
    public Iommu iommu() {
        return iommu;
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
        }
    }

    @Override
    public int allocatePasid() {
        return pasidAllocator.allocate();
    }

    @Override
    public void pasidBound(int pasid, ProcessAddressSpace space) {
        byPasid.put(pasid, space);
    }

    @Override
    public void pasidUnbound(int pasid) {
        byPasid.remove(pasid);
        pasidAllocator.free(pasid);
    }

    @Override
    public long nextPinHandle() {
        return lastHandle.incrementAndGet();
    }
}
