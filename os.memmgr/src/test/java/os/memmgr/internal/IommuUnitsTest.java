package os.memmgr.internal;

import iommu.hw.internal.IommuFixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import iommu.hw.Access;
import iommu.hw.Translation;
import iommu.hw.internal.IommuUnit;
import os.memmgr.AddressSpace;
import os.memmgr.MemoryException;
import os.memmgr.PageProtection;
import os.memmgr.Status;

/** A process on two IOMMU units: a PASID of each, page requests from each, invalidations reaching both. */
class IommuUnitsTest {
    final Machine m = new Machine();
    final IommuUnit unit1 = IommuFixture.unit(m.memory, 1, 4096, 256, 4);

    {
        m.mm.addIommu(unit1);
    }

    @AfterEach
    void shutdown() {
        m.shutdown();
    }

    @Test
    void eachUnitHasItsOwnPasidSpace() {
        int first = m.mm.spawn("first");
        m.mm.bindIommu(first, 1); // takes PASID 1 of unit 1 only
        int app = m.mm.spawn("app");
        int p0 = m.mm.bindIommu(app, 0);
        int p1 = m.mm.bindIommu(app, 1);
        assertEquals(1, p0);
        assertEquals(2, p1);
        assertEquals(Map.of(0, p0, 1, p1), m.mm.addressSpace(app).pasids());
        assertEquals(p1, m.mm.bindIommu(app, 1), "binding again gives the same PASID");
        assertEquals(m.mm.addressSpace(app).pageTableRoot(), m.iommu.boundPasids().get(p0));
        assertEquals(m.mm.addressSpace(app).pageTableRoot(), unit1.boundPasids().get(p1));
        assertEquals(java.util.List.of(0, 1), m.mm.iommuUnits());
    }

    @Test
    void anUnknownUnitIsRefusedByName() {
        int app = m.mm.spawn("app");
        MemoryException e = assertThrows(MemoryException.class, () -> m.mm.bindIommu(app, 7));
        assertEquals(Status.INVALID_PARAMETER, e.status());
        assertTrue(e.getMessage().contains("unit 7"), e.getMessage());
        assertTrue(m.mm.addressSpace(app).pasids().isEmpty());
    }

    @Test
    void bothUnitsReachTheSameBytesAndResolveTheirOwnPageRequests() {
        int app = m.mm.spawn("app");
        AddressSpace as = m.mm.addressSpace(app);
        int p0 = m.mm.bindIommu(app, 0);
        m.mm.bindIommu(m.mm.spawn("other"), 1);
        int p1 = m.mm.bindIommu(app, 1);
        long va = as.allocate(8192, PageProtection.READWRITE);
        byte[] text = "rendered on adapter 1".getBytes(StandardCharsets.UTF_8);
        assertTrue(unit1.write(p1, va + 4096, text).completed(), "a page request on unit 1 demand-zeroes the page");
        assertEquals(1, unit1.stats().pageRequests());
        byte[] out = new byte[text.length];
        assertTrue(m.iommu.read(p0, va + 4096, out).completed());
        assertArrayEquals(text, out);
        assertArrayEquals(text, as.read(va + 4096, text.length));
    }

    @Test
    void anInvalidationReachesEveryUnitTheSpaceIsBoundTo() {
        int app = m.mm.spawn("app");
        AddressSpace as = m.mm.addressSpace(app);
        int p0 = m.mm.bindIommu(app, 0);
        int p1 = m.mm.bindIommu(app, 1);
        long va = as.allocate(4096, PageProtection.READWRITE);
        as.write(va, new byte[] {1});
        assertInstanceOf(Translation.Mapping.class, m.iommu.translate(p0, va, Access.READ));
        assertInstanceOf(Translation.Mapping.class, unit1.translate(p1, va, Access.READ)); // now in unit 1's IOTLB
        as.decommit(va, 4096);
        assertInstanceOf(Translation.Fault.class, m.iommu.translate(p0, va, Access.READ));
        assertInstanceOf(Translation.Fault.class, unit1.translate(p1, va, Access.READ),
                "unit 1 kept a translation of a freed frame");
    }

    @Test
    void killUnbindsEveryUnitAndAGoneUnitIsForgotten() {
        int app = m.mm.spawn("app");
        int p1 = m.mm.bindIommu(app, 1);
        m.mm.bindIommu(app, 0);
        m.mm.kill(app);
        assertTrue(m.iommu.boundPasids().isEmpty());
        assertTrue(unit1.boundPasids().isEmpty());
        int next = m.mm.spawn("next");
        assertEquals(p1, m.mm.bindIommu(next, 1), "the PASID went back to unit 1's allocator");
        m.mm.removeIommu(unit1);
        assertEquals(Map.of(), Map.copyOf(m.mm.addressSpace(next).pasids()));
        assertNotEquals(java.util.List.of(0, 1), m.mm.iommuUnits());
        assertThrows(MemoryException.class, () -> m.mm.bindIommu(next, 1));
    }
}
