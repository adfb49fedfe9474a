package os.memmgr.internal;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import iommu.hw.shell.Args;
import os.memmgr.MemoryManager;

/** {@code iommu:bind PID} and {@code iommu:unbind PID}: register a process's address space with the IOMMU. */
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
        return "PASID " + mm.bindIommu(Args.id("PID", pid));
    }

    @Descriptor("unregisters a process's address space from the IOMMU")
    public String unbind(@Descriptor("process id, as mm:spawn printed it") String pid) {
        mm.unbindIommu(Args.id("PID", pid));
        return "unbound";
    }
}
