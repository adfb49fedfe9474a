package os.memmgr.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import iommu.hw.Access;
import iommu.hw.DmaResult;
import iommu.hw.FaultKind;
import iommu.hw.Translation;
import iommu.hw.internal.IommuFixture;
import iommu.hw.internal.IommuUnit;
import os.memmgr.AddressSpace;
import os.memmgr.GpuFaultPolicy;
import os.memmgr.PageProtection;

/** The CPU and the GPU (through the IOMMU with the process's PASID) share one page table. */
class SharedVirtualMemoryTest {
    Machine m = new Machine();
    int pid = m.mm.spawn("app");
    AddressSpace as = m.mm.addressSpace(pid);
    int pasid = m.mm.bindIommu(pid);

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void bytesTheCpuWritesAreTheBytesTheDmaReads() {
        long va = as.allocate(8192, PageProtection.READWRITE);
        as.write(va + 4000, text("shared virtual memory"));
        byte[] out = new byte[21];
        assertTrue(m.iommu.read(pasid, va + 4000, out).completed());
        assertArrayEquals(text("shared virtual memory"), out);
        assertTrue(m.iommu.write(pasid, va + 100, text("from the GPU")).completed());
        assertArrayEquals(text("from the GPU"), as.read(va + 100, 12));
    }

    @Test
    void gpuTouchOfCommittedPageIsDemandZeroedThroughAPageRequest() {
        long va = as.allocate(4096, PageProtection.READWRITE);
        byte[] out = new byte[8];
        out[0] = 1;
        DmaResult r = m.iommu.read(pasid, va, out);
        assertTrue(r.completed());
        assertArrayEquals(new byte[8], out);
        assertEquals(1, m.iommu.stats().pageRequests());
        assertEquals(1, m.mm.frames().privateFrames());
    }

    @Test
    void anotherProcessPasidCannotReachTheFrames() {
        long va = as.allocate(4096, PageProtection.READWRITE);
        as.write(va, text("mine"));
        int other = m.mm.spawn("other");
        int otherPasid = m.mm.bindIommu(other);
        DmaResult r = m.iommu.read(otherPasid, va, new byte[4]);
        assertEquals(FaultKind.NOT_PRESENT, r.fault().kind());
        assertEquals(0, r.bytesTransferred());
    }

    @Test
    void afterFreeTheSameDmaFaults() {
        long va = as.allocate(4096, PageProtection.READWRITE);
        as.write(va, text("gone soon"));
        assertTrue(m.iommu.read(pasid, va, new byte[9]).completed());
        as.release(va);
        DmaResult r = m.iommu.read(pasid, va, new byte[9]);
        assertEquals(FaultKind.NOT_PRESENT, r.fault().kind());
        assertEquals(0, m.iommu.stats().iotlbEntries());
    }

    @Test
    void protectReadOnlyStopsGpuWritesAtOnce() {
        long va = as.allocate(4096, PageProtection.READWRITE);
        assertTrue(m.iommu.write(pasid, va, text("v1")).completed());
        as.protect(va, 4096, PageProtection.READONLY);
        DmaResult r = m.iommu.write(pasid, va, text("v2"));
        assertEquals(FaultKind.WRITE_PROTECTED, r.fault().kind());
        assertArrayEquals(text("v1"), as.read(va, 2));
        assertTrue(m.iommu.read(pasid, va, new byte[2]).completed());
    }

    @Test
    void uncommittedAndNoAccessPagesFaultForTheGpu() {
        long base = as.reserve(0, 2 * 4096);
        as.commit(base + 4096, 4096, PageProtection.NOACCESS);
        assertEquals(FaultKind.NOT_PRESENT, m.iommu.read(pasid, base, new byte[1]).fault().kind());
        assertEquals(FaultKind.NOT_PRESENT, m.iommu.read(pasid, base + 4096, new byte[1]).fault().kind());
        assertEquals(2, m.iommu.stats().pageRequestsFailed());
    }

    @Test
    void underTheWindowsPolicyAPageNotPresentIsAFaultAndOnlyResidentMemoryServesTheGpu() {
        long va = as.allocate(3 * 4096, PageProtection.READWRITE);
        as.write(va, text("cpu"));
        m.mm.setGpuFaultPolicy(GpuFaultPolicy.WINDOWS);
        assertEquals(GpuFaultPolicy.WINDOWS, m.mm.gpuFaultPolicy());
        DmaResult r = m.iommu.write(pasid, va + 4096, text("gpu"));
        assertEquals(FaultKind.NOT_PRESENT, r.fault().kind()); // committed, never touched: not paged in
        assertEquals(0, m.iommu.stats().pageRequests());
        assertEquals(0, r.bytesTransferred());
        assertTrue(m.iommu.read(pasid, va, new byte[3]).completed(), "a present page still serves the GPU");
        as.pin(va + 2 * 4096, 4096, false); // what MakeResident does: present and locked
        assertTrue(m.iommu.write(pasid, va + 2 * 4096, text("gpu")).completed());
        assertArrayEquals(text("gpu"), as.read(va + 2 * 4096, 3));

        m.mm.setGpuFaultPolicy(GpuFaultPolicy.SVA); // the very same access is now paged in
        assertTrue(m.iommu.write(pasid, va + 4096, text("gpu")).completed());
        assertEquals(1, m.iommu.stats().pageRequests());
        assertArrayEquals(text("gpu"), as.read(va + 4096, 3));
    }

    @Test
    void theFaultPolicyIsPreInEachDevicesContextEntryAndReachesUnitsAddedLater() {
        int device = IommuUnit.TEST_DEVICE.value();
        assertTrue(IommuFixture.contextEntry(m.iommu, device).pageRequests(), "tests' instances start with sva");
        m.mm.setGpuFaultPolicy(GpuFaultPolicy.WINDOWS);
        assertFalse(IommuFixture.contextEntry(m.iommu, device).pageRequests());
        IommuUnit second = IommuFixture.unit(m.memory, 1, 64, 16, 4);
        m.mm.addIommu(second);
        assertFalse(IommuFixture.contextEntry(second, device).pageRequests(), "a unit that comes later gets the policy");
        m.mm.setGpuFaultPolicy(GpuFaultPolicy.SVA);
        assertTrue(IommuFixture.contextEntry(second, device).pageRequests());
        assertTrue(IommuFixture.contextEntry(m.iommu, device).pageRequests());
        assertThrows(IllegalArgumentException.class, () -> GpuFaultPolicy.parse("linux"));
        assertEquals(GpuFaultPolicy.SVA, GpuFaultPolicy.parse(" SVA "));
    }

    @Test
    void iommuWalksTheVeryPageTableTheCpuUses() {
        long va = as.allocate(4096, PageProtection.READWRITE);
        as.write(va, text("x"));
        Translation.Mapping t = (Translation.Mapping) m.iommu.translate(pasid, va, Access.READ);
        assertEquals(as.pageTableRoot(), m.iommu.boundPasids().get(pasid));
        byte[] direct = new byte[1];
        m.memory.read(t.physicalAddress(va), direct, 0, 1);
        assertArrayEquals(text("x"), direct);
    }

    @Test
    void committingMostOfMemoryAndTouchingAMegabyteUsesAboutAMegabyteOfHostMemory() {
        long before = m.memory.touchedFrames();
        long hostBefore = m.memory.hostBytes();
        long va = as.allocate(192L << 20, PageProtection.READWRITE);
        for (long off = 0; off < (1 << 20); off += 4096) {
            as.write(va + off, new byte[] {1});
        }
        long touched = m.memory.touchedFrames() - before;
        assertTrue(touched >= 256 && touched <= 256 + 8, "frames " + touched + " for 256 touched pages");
        long host = m.memory.hostBytes() - hostBefore;
        assertTrue(host >= (1 << 20) && host <= (1 << 20) + (256 << 10), "host bytes " + host + " for 1 MiB touched");
    }
}
