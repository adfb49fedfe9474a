package os.memmgr.internal;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import shell.support.Args;
import os.memmgr.MemoryManager;

/** {@code iommu:bind PID [UNIT]} and {@code iommu:unbind PID [UNIT]}: register a process's address space with an IOMMU unit. */
@Component(service = IommuBindCommand.class, property = {
        "osgi.command.scope=iommu",
        "osgi.command.function=bind",
        "osgi.command.function=unbind"})
public final class IommuBindCommand {
    private final MemoryManager mm;

    @Activate
    public IommuBindCommand(@Reference MemoryManager mm) {
        this.mm = mm;
    }

    /** Prints the process's PASID (allocating and binding one if needed). */
    @Descriptor("registers a process's address space with the IOMMU; prints its PASID")
    public String bind(@Descriptor("process id, as mm:spawn printed it") String pid) {
        return bind(pid, "0");
    }

    @Descriptor("registers a process's address space with an IOMMU unit; prints its PASID there")
    public String bind(@Descriptor("process id, as mm:spawn printed it") String pid,
                       @Descriptor("IOMMU unit, as iommu:units lists it") String unit) {
        return "PASID " + mm.bindIommu(Args.id("PID", pid), Args.id("UNIT", unit));
    }

    @Descriptor("unregisters a process's address space from IOMMU unit 0")
    public String unbind(@Descriptor("process id, as mm:spawn printed it") String pid) {
        return unbind(pid, "0");
    }

    @Descriptor("unregisters a process's address space from an IOMMU unit")
    public String unbind(@Descriptor("process id, as mm:spawn printed it") String pid,
                         @Descriptor("IOMMU unit, as iommu:units lists it") String unit) {
        mm.unbindIommu(Args.id("PID", pid), Args.id("UNIT", unit));
        return "unbound";
    }
}
