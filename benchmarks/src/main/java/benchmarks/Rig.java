package benchmarks;

import iommu.hw.internal.IommuUnit;
import iommu.hw.internal.LazySystemMemory;
import machine.testing.TestMachine;
import os.memmgr.AddressSpace;
import os.memmgr.PageProtection;
import os.memmgr.internal.WindowsMemoryManager;

/**
 * A machine wired as SCR wires it (machine.testing.TestMachine, no driver), with one process bound to
 * the IOMMU: its units of architecture {@code vtd} or {@code amdvi}, and a second unit (and a second
 * adapter behind it) when asked.
 */
final class Rig {
    final LazySystemMemory memory;
    final IommuUnit iommu;
    final AddressSpace space;
    final int pasid;
    /** The second unit and the process's PASID on it (null and 0 without one). */
    final IommuUnit iommu1;
    final int pasid1;

    Rig(long memoryBytes, int iotlbEntries) {
        this(memoryBytes, iotlbEntries, "vtd", false);
    }

    Rig(long memoryBytes, int iotlbEntries, String arch, boolean twoUnits) {
        TestMachine.Builder builder = TestMachine.builder().arch(arch).lockProbe(false).memory(memoryBytes).iommu(iotlbEntries, 64)
                .noDriver();
        if (twoUnits) {
            builder.secondAdapter(new gpu.hw.PciIdentity(0x1234, 0x2222, 2), 0);
        }
        TestMachine machine = builder.build();
        memory = machine.memory();
        iommu = machine.iommu();
        WindowsMemoryManager mm = machine.os();
        int pid = mm.spawn("bench");
        space = mm.addressSpace(pid);
        pasid = mm.bindIommu(pid, 0);
        iommu1 = twoUnits ? machine.iommu(1) : null;
        pasid1 = twoUnits ? mm.bindIommu(pid, 1) : 0;
    }

    /** Allocates {@code bytes} of 2 MiB pages and writes every 4 KiB of them once (as {@link #committed}). */
    long committedLarge(long bytes) {
        return touched(space.allocateLarge(bytes, PageProtection.READWRITE), bytes);
    }

    /** Allocates and touches {@code bytes} (every page gets a frame). */
    long committed(long bytes) {
        return touched(space.allocate(bytes, PageProtection.READWRITE), bytes);
    }

    /** Writes every 4 KiB of {@code [va, va + bytes)} once, by DMA; returns {@code va}. */
    private long touched(long va, long bytes) {
        byte[] page = new byte[4096];
        for (long off = 0; off < bytes; off += 4096) {
            page[0] = (byte) (off >>> 12);
            iommu.write(pasid, va + off, page);
        }
        return va;
    }
}
