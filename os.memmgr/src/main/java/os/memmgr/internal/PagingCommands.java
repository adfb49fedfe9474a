package os.memmgr.internal;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import shell.support.Args;
import os.memmgr.MemoryManager;
import os.memmgr.PagingInfo;
import os.memmgr.ProcessInfo;

/** {@code mm:trim} and {@code mm:pagefile}: the paging side of the memory manager from the shell. */
@Component(service = PagingCommands.class, property = {
        "osgi.command.scope=mm",
        "osgi.command.function=trim",
        "osgi.command.function=pagefile"})
public final class PagingCommands {
    private final MemoryManager mm;

    @Activate
    public PagingCommands(@Reference MemoryManager mm) {
        this.mm = mm;
    }

    /** mm:trim PID - pages out the whole working set (what is not pinned). */
    @Descriptor("trims a working set: pages out unpinned pages (all if PAGES is not given), least recently used first")
    public String trim(@Descriptor("process id, as mm:spawn printed it") String pid) {
        int id = Args.id("PID", pid);
        ProcessInfo before = info(id);
        return report(id, mm.trim(id, Math.max(1, before.residentPages())));
    }

    /** mm:trim PID PAGES - pages out up to PAGES pages, least recently used first. */
    @Descriptor("trims a working set: pages out unpinned pages (all if PAGES is not given), least recently used first")
    public String trim(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("the most pages to page out") String pages) {
        int id = Args.id("PID", pid);
        long n = Args.number("PAGES", pages);
        return report(id, mm.trim(id, n));
    }

    private ProcessInfo info(int pid) {
        mm.addressSpace(pid); // names an unknown pid
        return mm.processes().stream().filter(p -> p.pid() == pid).findFirst().orElseThrow();
    }

    private String report(int pid, long trimmed) {
        ProcessInfo after = info(pid);
        return String.format("trimmed %d pages of pid %d: %d resident, %d paged out", trimmed, pid,
                after.residentPages(), after.pagedOutPages());
    }

    @Descriptor("the pagefile: size, slots used, pages out and in, I/O errors, commit, low-water mark, GPU fault policy")
    public String pagefile() {
        PagingInfo p = mm.paging();
        String file = p.path() == null ? "none (commit limit = RAM)"
                : String.format("%s, %d MiB (%d slots)", p.path(), p.slots() >> 8, p.slots());
        return String.format("pagefile    %s%nslots used  %d (paged out %d, clean copies %d)%n"
                        + "pages out   %d written, %d dropped clean%npages in    %d%nI/O errors  %d%n"
                        + "commit      %d of %d pages%nlow water   %d free frames%nGPU faults  %s",
                file, p.slotsUsed(), p.pagedOut(), p.slotsUsed() - p.pagedOut(), p.pagesOut(), p.pagesDropped(),
                p.pagesIn(), p.ioErrors(), p.commitCharge(), p.commitLimit(), p.lowWaterFrames(), policy());
    }

    private String policy() {
        return mm.gpuFaultPolicy() == os.memmgr.GpuFaultPolicy.SVA
                ? "sva (a page a GPU finds not present is a page request the OS serves)"
                : "windows (a page a GPU finds not present is a page fault; memory it uses must be resident)";
    }
}
