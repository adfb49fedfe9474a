package os.memmgr.internal;

import java.util.List;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import shell.support.Args;
import os.memmgr.AddressSpace;
import os.memmgr.FrameCounts;
import os.memmgr.MemoryManager;
import os.memmgr.PageProtection;
import os.memmgr.PagingInfo;
import os.memmgr.PinnedPages;
import os.memmgr.ProcessInfo;
import os.memmgr.SectionInfo;

/**
 * Gogo commands of the memory manager (scope {@code mm}), and {@code iommu:bind}, which needs the
 * OS because it registers a process's address space.
 */
@Component(service = MmCommands.class, property = {
        "osgi.command.scope=mm",
        "osgi.command.function=spawn",
        "osgi.command.function=ps",
        "osgi.command.function=alloc",
        "osgi.command.function=reserve",
        "osgi.command.function=commit",
        "osgi.command.function=decommit",
        "osgi.command.function=free",
        "osgi.command.function=protect",
        "osgi.command.function=query",
        "osgi.command.function=write",
        "osgi.command.function=read",
        "osgi.command.function=kill",
        "osgi.command.function=frames",
        "osgi.command.function=section",
        "osgi.command.function=sections",
        "osgi.command.function=map",
        "osgi.command.function=pin",
        "osgi.command.function=unpin"})
public final class MmCommands {
    static final int MAX_SHELL_BYTES = 1 << 20;

    private final MemoryManager mm;
    private final java.util.function.LongSupplier hostBytes;

    @Activate
    public MmCommands(@Reference MemoryManager mm, @Reference iommu.hw.SystemMemory memory) {
        this.mm = mm;
        this.hostBytes = memory::hostBytes;
    }

    private AddressSpace space(String pid) {
        return mm.addressSpace(Args.id("PID", pid));
    }

    /** mm:spawn NAME - prints the pid. */
    @Descriptor("creates a process; prints its pid")
    public String spawn(@Descriptor("process name") String name) {
        return "pid " + mm.spawn(name);
    }

    @Descriptor("lists processes: pid, name, PASIDs (unit:PASID), PML4, committed pages, commit charge, resident and paged-out pages")
    public String ps() {
        List<ProcessInfo> list = mm.processes();
        if (list.isEmpty()) {
            return "no processes";
        }
        return String.format("%-6s %-16s %-9s %-14s %-10s %-9s %-9s %s%n", "PID", "NAME", "PASIDS", "PML4", "COMMITTED",
                "CHARGE", "RESIDENT", "PAGED-OUT")
                + list.stream().map(p -> String.format("%-6d %-16s %-9s 0x%-12x %-10d %-9d %-9d %d", p.pid(), p.name(),
                        pasids(p), p.pageTableRoot(), p.committedPages(),
                        p.commitCharge(), p.residentPages(), p.pagedOutPages())).collect(Collectors.joining("\n"));
    }

    /** "unit:PASID" for every unit the process is bound to, or "-". */
    static String pasids(ProcessInfo p) {
        return p.pasids().isEmpty() ? "-" : p.pasids().entrySet().stream().map(e -> e.getKey() + ":" + e.getValue())
                .collect(Collectors.joining(","));
    }

    /** mm:alloc PID BYTES [PROT] - reserve and commit; prints the VA. */
    @Descriptor("reserves and commits (VirtualAlloc MEM_RESERVE|MEM_COMMIT, default rw); prints the VA")
    public String alloc(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("size in bytes, decimal or 0x hex; may end in K, M or G") String bytes) {
        return alloc(pid, bytes, "rw");
    }

    @Descriptor("reserves and commits (VirtualAlloc MEM_RESERVE|MEM_COMMIT, default rw); prints the VA")
    public String alloc(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("size in bytes, decimal or 0x hex; may end in K, M or G") String bytes, @Descriptor("protection: none, r, rw, x, rx, rwx, or a Windows name such as PAGE_READWRITE") String prot) {
        AddressSpace space = space(pid);
        PageProtection protection = PageProtection.parse(prot);
        long va = space.allocate(Args.size("BYTES", bytes, AddressSpace.MAX_RESERVATION), protection);
        return String.format("0x%x", va);
    }

    @Descriptor("reserves and commits; with 'large', 2 MiB pages (MEM_LARGE_PAGES: contiguous, never paged); prints the VA")
    public String alloc(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("size in bytes; for large pages a multiple of 2M") String bytes,
                        @Descriptor("protection: none, r, rw, x, rx, rwx, or a Windows name such as PAGE_READWRITE") String prot,
                        @Descriptor("large: 2 MiB pages") String kind) {
        if (!"large".equalsIgnoreCase(kind)) {
            throw new IllegalArgumentException("the fourth argument may only be 'large', not '" + kind + "'");
        }
        AddressSpace space = space(pid);
        PageProtection protection = PageProtection.parse(prot);
        long va = space.allocateLarge(Args.size("BYTES", bytes, AddressSpace.MAX_RESERVATION), protection);
        return String.format("0x%x (large pages)", va);
    }

    /** mm:reserve PID BYTES [VA] - reserve only; prints the VA. */
    @Descriptor("reserves address space (64 KiB aligned), anywhere or at VA; prints the VA")
    public String reserve(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("size in bytes, decimal or 0x hex; may end in K, M or G") String bytes) {
        return reserve(pid, bytes, "0");
    }

    @Descriptor("reserves address space (64 KiB aligned), anywhere or at VA; prints the VA")
    public String reserve(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("size in bytes, decimal or 0x hex; may end in K, M or G") String bytes, @Descriptor("virtual address, decimal or 0x hex") String va) {
        AddressSpace space = space(pid);
        long size = Args.size("BYTES", bytes, AddressSpace.MAX_RESERVATION);
        return String.format("0x%x", space.reserve(Args.address("VA", va), size));
    }

    /** mm:commit PID VA BYTES [PROT] */
    @Descriptor("commits pages of a reservation (default rw); fails with COMMITMENT_LIMIT past RAM + pagefile")
    public String commit(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("virtual address, decimal or 0x hex") String va, @Descriptor("size in bytes, decimal or 0x hex; may end in K, M or G") String bytes) {
        return commit(pid, va, bytes, "rw");
    }

    @Descriptor("commits pages of a reservation (default rw); fails with COMMITMENT_LIMIT past RAM + pagefile")
    public String commit(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("virtual address, decimal or 0x hex") String va, @Descriptor("size in bytes, decimal or 0x hex; may end in K, M or G") String bytes, @Descriptor("protection: none, r, rw, x, rx, rwx, or a Windows name such as PAGE_READWRITE") String prot) {
        AddressSpace space = space(pid);
        PageProtection protection = PageProtection.parse(prot);
        space.commit(Args.address("VA", va), Args.size("BYTES", bytes, AddressSpace.MAX_RESERVATION), protection);
        return "committed";
    }

    /** mm:decommit PID VA BYTES */
    @Descriptor("decommits pages of a reservation; their frames and pagefile slots are freed")
    public String decommit(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("virtual address, decimal or 0x hex") String va, @Descriptor("size in bytes, decimal or 0x hex; may end in K, M or G") String bytes) {
        AddressSpace space = space(pid);
        space.decommit(Args.address("VA", va), Args.size("BYTES", bytes, AddressSpace.MAX_RESERVATION));
        return "decommitted";
    }

    /** mm:free PID VA - releases the reservation (or section view) at VA. */
    @Descriptor("releases the reservation or section view whose base is VA")
    public String free(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("virtual address, decimal or 0x hex") String va) {
        space(pid).release(Args.address("VA", va));
        return "released";
    }

    /** mm:protect PID VA BYTES PROT - prints the old protection. */
    @Descriptor("changes the protection of committed pages; prints the old one")
    public String protect(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("virtual address, decimal or 0x hex") String va, @Descriptor("size in bytes, decimal or 0x hex; may end in K, M or G") String bytes, @Descriptor("protection: none, r, rw, x, rx, rwx, or a Windows name such as PAGE_READWRITE") String prot) {
        AddressSpace space = space(pid);
        PageProtection protection = PageProtection.parse(prot);
        PageProtection old = space.protect(Args.address("VA", va),
                Args.size("BYTES", bytes, AddressSpace.MAX_RESERVATION), protection);
        return "was " + old.shortName();
    }

    /** mm:query PID VA */
    @Descriptor("VirtualQuery: the run of pages at VA with the same state and protection")
    public String query(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("virtual address, decimal or 0x hex") String va) {
        return space(pid).query(Args.address("VA", va)).toString();
    }

    /** mm:write PID VA DATA - a CPU write (DATA is text, or hex:...). */
    @Descriptor("writes through the page table as the CPU (faulting pages in)")
    public String write(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("virtual address, decimal or 0x hex") String va, @Descriptor("text, or raw bytes as hex:0a0b0c") String data) {
        AddressSpace space = space(pid);
        byte[] bytes = Args.data("DATA", data);
        space.write(Args.address("VA", va), bytes);
        return "wrote " + bytes.length + " bytes";
    }

    /** mm:read PID VA LEN - a CPU read, as a hex dump. */
    @Descriptor("reads through the page table as the CPU; prints a hex dump")
    public String read(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("virtual address, decimal or 0x hex") String va, @Descriptor("bytes, decimal or 0x hex (at most 1M)") String length) {
        AddressSpace space = space(pid);
        long at = Args.address("VA", va);
        byte[] bytes = space.read(at, (int) Args.size("LEN", length, MAX_SHELL_BYTES));
        return Args.hexDump(at, bytes).stripTrailing();
    }

    @Descriptor("ends a process: its PASID unbound, every frame and pagefile slot returned")
    public String kill(@Descriptor("process id, as mm:spawn printed it") String pid) {
        mm.kill(Args.id("PID", pid));
        return "killed";
    }

    @Descriptor("every frame by state, paged-out pages, pagefile slots, commit charge and limit, host memory")
    public String frames() {
        FrameCounts c = mm.frames();
        PagingInfo p = mm.paging();
        return String.format("total       %d%nfree        %d%nprivate     %d%nshared      %d%npage-table  %d%n"
                        + "iommu-table %d (the IOMMU units' own tables and queues)%n"
                        + "reserved    %d%ntransition  %d%npinned      %d (of private + shared)%n"
                        + "paged out   %d pages%npagefile    %d of %d slots used%ncommit      %d of %d pages (limit = RAM + pagefile)%n"
                        + "host memory %d KiB", c.total(), c.free(), c.privateFrames(), c.shared(), c.pageTables(),
                c.iommuTables(), c.reserved(), c.transition(), c.pinned(), p.pagedOut(), p.slotsUsed(), p.slots(), p.commitCharge(),
                p.commitLimit(), hostBytes.getAsLong() >> 10);
    }

    /** mm:section BYTES - creates a shared section; prints its handle. */
    @Descriptor("creates a shared section; prints its handle")
    public String section(@Descriptor("size in bytes, decimal or 0x hex; may end in K, M or G") String bytes) {
        return String.format("section 0x%x", mm.createSection(Args.size("BYTES", bytes, AddressSpace.MAX_RESERVATION)));
    }

    @Descriptor("lists shared sections: size, views, resident pages")
    public String sections() {
        List<SectionInfo> list = mm.sections();
        if (list.isEmpty()) {
            return "no sections";
        }
        return list.stream().map(s -> String.format("0x%x  %d bytes  %d views  %d resident pages", s.handle(), s.size(),
                s.views(), s.resident())).collect(Collectors.joining("\n"));
    }

    /** mm:map PID SECTION [PROT] - maps a view of a section; prints its VA. */
    @Descriptor("maps a view of a section (default rw); prints its VA")
    public String map(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("section handle, as mm:section printed it") String section) {
        return map(pid, section, "rw");
    }

    @Descriptor("maps a view of a section (default rw); prints its VA")
    public String map(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("section handle, as mm:section printed it") String section, @Descriptor("protection: none, r, rw, x, rx, rwx, or a Windows name such as PAGE_READWRITE") String prot) {
        AddressSpace space = space(pid);
        PageProtection protection = PageProtection.parse(prot);
        return String.format("0x%x", space.mapSection(Args.number("SECTION", section), protection));
    }

    /** mm:pin PID VA BYTES - locks pages for DMA; prints the pin handle and frames. */
    @Descriptor("locks pages for DMA; prints the pin handle and frames")
    public String pin(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("virtual address, decimal or 0x hex") String va, @Descriptor("size in bytes, decimal or 0x hex; may end in K, M or G") String bytes) {
        AddressSpace space = space(pid);
        PinnedPages pin = space.pin(Args.address("VA", va), Args.size("BYTES", bytes, AddressSpace.MAX_RESERVATION), true);
        StringBuilder b = new StringBuilder(String.format("pin 0x%x frames", pin.handle()));
        for (long f : pin.frames()) {
            b.append(String.format(" 0x%x", f));
        }
        return b.toString();
    }

    /** mm:unpin PID HANDLE */
    @Descriptor("unlocks a pin")
    public String unpin(@Descriptor("process id, as mm:spawn printed it") String pid, @Descriptor("pin handle, as mm:pin printed it") String handle) {
        space(pid).unpin(Args.number("HANDLE", handle));
        return "unpinned";
    }
}
