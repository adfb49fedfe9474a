package os.memmgr.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import iommu.hw.Access;
import iommu.hw.FaultKind;
import iommu.hw.Translation;
import iommu.hw.arch.Architecture;
import iommu.hw.driver.IommuDriverFactory;
import iommu.hw.internal.AmdViFixture;
import iommu.hw.internal.IommuUnit;
import os.memmgr.AddressSpace;
import os.memmgr.MemoryException;
import os.memmgr.PageProtection;

/**
 * Units of two architectures in one memory manager, each driven by the driver its architecture's
 * bundle registers: a unit waits while its driver is not there, and its address spaces forget it when
 * the driver goes, its tables' frames given back.
 */
class IommuArchitecturesTest {
    final Machine m = new Machine();
    final IommuUnit amd = AmdViFixture.unit(m.memory, 1, 4096, 256, 4, 1000);
    final IommuDriverFactory amdDrivers = AmdViFixture.drivers(m.memory);
    static final Map<String, Object> AMDVI = Map.of(Architecture.ARCH, "amdvi");

    @AfterEach
    void shutdown() {
        m.shutdown();
    }

    @Test
    void aUnitWaitsForItsArchitecturesDriverAndItsAddressSpacesForgetItWhenTheDriverGoes() {
        long vtdTables = m.mm.frames().iommuTables();
        m.mm.addIommu(amd); // no AMD-Vi driver yet: the unit waits
        int pid = m.mm.spawn("a");
        AddressSpace as = m.mm.addressSpace(pid);
        long va = as.allocate(4096, PageProtection.READWRITE);
        as.write(va, new byte[] {42});
        assertThrows(MemoryException.class, () -> m.mm.bindIommu(pid, 1), "unit 1 is not used without its driver");
        assertEquals(vtdTables, m.mm.frames().iommuTables(), "nothing written for it yet");

        m.mm.addDriverFactory(amdDrivers, AMDVI);
        int pasid = m.mm.bindIommu(pid, 1);
        assertEquals(Map.of(pasid, m.mm.addressSpace(pid).pageTableRoot()), amd.boundPasids(), "the GCR3 entry is the process's PML4");
        assertInstanceOf(Translation.Mapping.class, amd.translate(pasid, va, Access.READ));
        assertTrue(m.mm.frames().iommuTables() > vtdTables, "its device table, buffers, logs and GCR3 tables are the OS's frames");

        m.mm.removeDriverFactory(amdDrivers, AMDVI);
        assertEquals(vtdTables, m.mm.frames().iommuTables(), "the AMD-Vi unit's tables went back");
        assertTrue(amd.boundPasids().isEmpty());
        assertEquals(FaultKind.NO_CONTEXT, assertInstanceOf(Translation.Fault.class, amd.translate(pasid, va, Access.READ)).kind(),
                "nothing of the process is reachable through the unit once its driver went");
        assertThrows(MemoryException.class, () -> m.mm.bindIommu(pid, 1));
        assertFalse(m.mm.processes().isEmpty(), "the process lives on");

        m.mm.addDriverFactory(amdDrivers, AMDVI); // back: the unit is used again
        int again = m.mm.bindIommu(pid, 1);
        assertInstanceOf(Translation.Mapping.class, amd.translate(again, va, Access.READ));
    }
}
