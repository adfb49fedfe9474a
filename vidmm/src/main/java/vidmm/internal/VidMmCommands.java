package vidmm.internal;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import shell.support.Args;
import kmd.api.VidMmCaps;
import umd.api.AllocationCreateFlag;
import vidmm.AdapterStatus;
import vidmm.Allocation;
import vidmm.DeviceInfo;
import vidmm.GpuFault;
import vidmm.VidMm;

/** Gogo commands of VidMm (scope {@code vidmm}). */
@Component(service = VidMmCommands.class, property = {
        "osgi.command.scope=vidmm",
        "osgi.command.function=caps",
        "osgi.command.function=processes",
        "osgi.command.function=device",
        "osgi.command.function=destroy",
        "osgi.command.function=alloc",
        "osgi.command.function=open",
        "osgi.command.function=free",
        "osgi.command.function=allocations",
        "osgi.command.function=resident",
        "osgi.command.function=evict",
        "osgi.command.function=budget",
        "osgi.command.function=trim",
        "osgi.command.function=faults"})
public final class VidMmCommands {
    private final VidMm vidmm;

    @Activate
    public VidMmCommands(@Reference VidMm vidmm) {
        this.vidmm = vidmm;
    }

    @Descriptor("adapter 0's driver VIDMMCAPS, DRIVERCAPS and segments, and the model VidMm chose (or why it refused)")
    public String caps() {
        return caps("0");
    }

    @Descriptor("an adapter's driver VIDMMCAPS, DRIVERCAPS and segments, and the model VidMm chose (or why it refused)")
    public String caps(@Descriptor("adapter index, as gpu:list lists it") String adapter) {
        AdapterStatus a = vidmm.adapter(Args.id("ADAPTER", adapter));
        StringBuilder b = new StringBuilder();
        b.append(a.state() == AdapterStatus.State.STARTED ? "adapter " + a.adapter() + " started, addressing model " + a.model()
                : "adapter " + a.adapter() + " refused: " + a.reason()).append('\n');
        if (a.info() != null) {
            VidMmCaps c = a.info().vidMmCaps();
            b.append("driver  ").append(a.info().driverName()).append('\n');
            if (c != null) {
                b.append(String.format("VIDMMCAPS VirtualAddressingSupported=%s IoMmuSupported=%s GpuMmuSupported=%s "
                                + "IoMmuSecureModeSupported=%s IoMmuSecureModeRequired=%s%n", c.virtualAddressingSupported(),
                        c.ioMmuSupported(), c.gpuMmuSupported(), c.ioMmuSecureModeSupported(), c.ioMmuSecureModeRequired()));
            }
            if (a.info().driverCaps() != null) {
                b.append("DRIVERCAPS ApertureSegmentCommitLimit=").append(a.info().driverCaps().apertureSegmentCommitLimit())
                        .append('\n');
            }
            a.info().segments().forEach(s -> b.append(String.format("segment %d %s, %d bytes%s%s%n", s.id(), s.name(),
                    s.size(), s.cpuVisible() ? ", CPU visible" : "", s.apertureSegment() ? ", aperture" : "")));
        }
        return b.toString().stripTrailing();
    }

    @Descriptor("processes using a GPU: pid, adapter, the adapter's IOMMU unit, the PASID there, devices")
    public String processes() {
        var list = vidmm.processes();
        if (list.isEmpty()) {
            return "no process uses the GPU";
        }
        return "PID    ADAPTER  UNIT  PASID  DEVICES\n" + list.stream().map(p -> String.format("%-6d %-8d %-5d %-6d %s",
                p.pid(), p.adapter(), p.iommuUnit(), p.pasid(),
                p.devices().stream().map(d -> "0x" + Long.toHexString(d)).collect(Collectors.joining(" "))))
                .collect(Collectors.joining("\n"));
    }

    /** vidmm:device PID [ADAPTER] - creates a device; prints its handle. */
    @Descriptor("creates a device for a process on adapter 0 (its first registers it with the IOMMU); prints the handle")
    public String device(@Descriptor("process id, as mm:spawn printed it") String pid) {
        return device(pid, "0");
    }

    @Descriptor("creates a device for a process on an adapter (its first there registers it with the adapter's IOMMU unit); prints the handle")
    public String device(@Descriptor("process id, as mm:spawn printed it") String pid,
                         @Descriptor("adapter index, as gpu:list lists it") String adapter) {
        return String.format("device 0x%x", vidmm.createDevice(Args.id("ADAPTER", adapter), Args.id("PID", pid)));
    }

    /** vidmm:destroy DEVICE */
    @Descriptor("destroys a device and its allocations")
    public String destroy(@Descriptor("device handle, as vidmm:device printed it") String device) {
        vidmm.destroyDevice(Args.number("DEVICE", device));
        return "destroyed";
    }

    /** vidmm:alloc DEVICE BYTES [FLAGS] - FLAGS: comma-separated primary, shared. */
    @Descriptor("Allocate: the driver describes, VidMm backs it with process memory; prints handle and VA")
    public String alloc(@Descriptor("device handle, as vidmm:device printed it") String device, @Descriptor("size in bytes, decimal or 0x hex; may end in K, M or G") String bytes) {
        return alloc(device, bytes, "");
    }

    @Descriptor("Allocate: the driver describes, VidMm backs it with process memory; prints handle and VA")
    public String alloc(@Descriptor("device handle, as vidmm:device printed it") String device, @Descriptor("size in bytes, decimal or 0x hex; may end in K, M or G") String bytes, @Descriptor("comma list of primary, shared") String flags) {
        Allocation a = vidmm.allocate(Args.number("DEVICE", device), Args.size("BYTES", bytes, VideoMemoryManager.MAX_ALLOCATION),
                flags(flags));
        return describe(a);
    }

    /** The creation flags of {@code text}: primary (D3DDDI_ALLOCATIONINFO2.Flags.Primary), shared (CreateShared). */
    static Set<AllocationCreateFlag> flags(String text) {
        Set<AllocationCreateFlag> flags = EnumSet.noneOf(AllocationCreateFlag.class);
        for (String f : text.split(",")) {
            switch (f.trim().toLowerCase(Locale.ROOT)) {
                case "" -> { }
                case "primary" -> flags.add(AllocationCreateFlag.PRIMARY);
                case "shared" -> flags.add(AllocationCreateFlag.CREATE_SHARED);
                case "cpu", "cpu_visible" -> throw new IllegalArgumentException("'" + f.trim() + "' is not a creation flag: the"
                        + " driver describes an allocation CPU_VISIBLE, and in the IoMmu model the CPU reaches every one at its VA");
                default -> throw new IllegalArgumentException("FLAGS must be a comma list of primary, shared; not '"
                        + f.trim() + "'");
            }
        }
        return flags;
    }

    private static String describe(Allocation a) {
        return String.format("allocation 0x%x at VA 0x%x, %d bytes%s%s", a.handle(), a.va(), a.size(),
                a.flagNames().isEmpty() ? "" : " " + a.flagNames(), a.sharedHandle() != 0 ? String.format(", shared handle 0x%x",
                        a.sharedHandle()) : "");
    }

    /** vidmm:open DEVICE SHARED_HANDLE - opens another process's shared allocation. */
    @Descriptor("opens another process's shared allocation; prints handle and VA")
    public String open(@Descriptor("device handle, as vidmm:device printed it") String device, @Descriptor("shared handle of another process's allocation") String shared) {
        return describe(vidmm.openShared(Args.number("DEVICE", device), Args.number("SHARED_HANDLE", shared)));
    }

    /** vidmm:free DEVICE ALLOCATION */
    @Descriptor("destroys (or closes an opened) allocation")
    public String free(@Descriptor("device handle, as vidmm:device printed it") String device, @Descriptor("allocation handle, as vidmm:alloc printed it") String allocation) {
        vidmm.destroyAllocation(Args.number("DEVICE", device), Args.number("ALLOCATION", allocation));
        return "destroyed";
    }

    @Descriptor("allocations: handle, device, pid, VA, size, residency, flags")
    public String allocations() {
        return list(vidmm.allocations());
    }

    /** vidmm:allocations PID */
    @Descriptor("allocations: handle, device, pid, VA, size, residency, flags")
    public String allocations(@Descriptor("process id, as mm:spawn printed it") String pid) {
        int p = Args.id("PID", pid);
        return list(vidmm.allocations().stream().filter(a -> a.pid() == p).collect(Collectors.toList()));
    }

    private static String list(List<Allocation> list) {
        if (list.isEmpty()) {
            return "no allocations";
        }
        return String.format("%-8s %-8s %-6s %-16s %-10s %-9s %s%n", "HANDLE", "DEVICE", "PID", "VA", "SIZE", "RESIDENT", "FLAGS")
                + list.stream().map(a -> String.format("0x%-6x 0x%-6x %-6d 0x%-14x %-10d %-9s %s%s", a.handle(), a.device(),
                        a.pid(), a.va(), a.size(), a.resident() ? "yes" : "no", a.flagNames(),
                        a.sharedHandle() != 0 && a.sharedHandle() != a.handle()
                                ? String.format(" (opened from 0x%x)", a.sharedHandle()) : ""))
                .collect(Collectors.joining("\n"));
    }

    /** vidmm:resident DEVICE ALLOCATION - MakeResident; prints the paging fence. */
    @Descriptor("MakeResident (pins; reference counted); prints the paging fence")
    public String resident(@Descriptor("device handle, as vidmm:device printed it") String device, @Descriptor("allocation handle, as vidmm:alloc printed it") String allocation) {
        long fence = vidmm.makeResident(Args.number("DEVICE", device), List.of(Args.number("ALLOCATION", allocation)));
        return "resident, paging fence " + fence;
    }

    /** vidmm:evict DEVICE ALLOCATION */
    @Descriptor("Evict (unpins when the last reference goes: the OS may trim it)")
    public String evict(@Descriptor("device handle, as vidmm:device printed it") String device, @Descriptor("allocation handle, as vidmm:alloc printed it") String allocation) {
        long toTrim = vidmm.evict(Args.number("DEVICE", device), List.of(Args.number("ALLOCATION", allocation)));
        return toTrim == 0 ? "evicted" : "evicted; still over budget: NumBytesToTrim " + toTrim;
    }

    /** vidmm:budget PID - D3DKMTQueryVideoMemoryInfo for a process. */
    @Descriptor("D3DKMTQueryVideoMemoryInfo: the process's budget and usage")
    public String budget(@Descriptor("process id, as mm:spawn printed it") String pid) {
        vidmm.VideoMemoryInfo i = vidmm.videoMemoryInfo(Args.id("PID", pid));
        return String.format("pid %d: Budget %d KiB, CurrentUsage %d KiB, AvailableForReservation %d KiB", i.pid(),
                i.budget() >> 10, i.currentUsage() >> 10, i.availableForReservation() >> 10);
    }

    /** vidmm:trim PID BYTES - the OS asks a process to trim (a trim notification to its devices' UMDs). */
    @Descriptor("asks a process to come down to BYTES resident: its devices' trim notifications (TrimToBudget) get NumBytesToTrim and their UMDs evict")
    public String trim(@Descriptor("process id, as mm:spawn printed it") String pid,
                       @Descriptor("bytes it may keep resident (0: all it can give)") String bytes) {
        int p = Args.id("PID", pid);
        long target = Args.number("BYTES", bytes);
        long before = vidmm.videoMemoryInfo(p).currentUsage();
        long freed = vidmm.trim(p, target);
        return "pid " + p + ": TrimToBudget NumBytesToTrim " + (Math.max(0, before - target) >> 10) + " KiB; its UMDs evicted "
                + (freed >> 10) + " KiB; now " + (vidmm.videoMemoryInfo(p).currentUsage() >> 10) + " KiB resident";
    }

    @Descriptor("GPU page faults: device, PASID, VA, reason, and what VidMm did")
    public String faults() {
        List<GpuFault> list = vidmm.faults();
        if (list.isEmpty()) {
            return "no GPU faults";
        }
        return list.stream().map(f -> f.node() == null // the adapter's, not a device's (an IOMMU unit reported the GPU)
                ? String.format("#%d adapter %d %s -> %s", f.sequence(), f.adapter(), f.reason(), f.outcome())
                : String.format("#%d device 0x%x pid %d %s PASID %d VA 0x%x %s %s -> %s%s", f.sequence(),
                f.device(), f.pid(), f.node(), f.pasid(), f.va(), f.write() ? "write" : "read", f.reason(), f.outcome(),
                f.interrupt().isEmpty() ? "" : "\n   " + f.interrupt()))
                .collect(Collectors.joining("\n"));
    }

}
