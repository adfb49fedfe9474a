package itest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.service.ServiceExtension;

import iommu.hw.DmaInitiator;
import iommu.hw.DmaResult;
import iommu.hw.FaultKind;
import iommu.hw.Iommu;
import os.memmgr.AddressSpace;
import os.memmgr.FrameCounts;
import os.memmgr.MemoryManager;
import os.memmgr.PageProtection;
import os.memmgr.ProcessInfo;

/** The real bundles, wired by SCR: CPU and GPU share a process's page table through the IOMMU. */
@ExtendWith(ServiceExtension.class)
class SharedMemoryPathTest {
    @InjectService
    MemoryManager mm;
    /** Unit 0 and its DMA port: the unit the tests bind to. */
    @InjectService(filter = "(iommu.unit=0)")
    Iommu iommu;
    @InjectService(filter = "(iommu.unit=0)")
    DmaInitiator dma;

    @AfterEach
    void killAll() {
        for (ProcessInfo p : mm.processes()) {
            mm.kill(p.pid());
        }
    }

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void cpuWriteIsReadByDmaAndOnlyThroughTheOwnersPasid() {
        int a = mm.spawn("a");
        AddressSpace as = mm.addressSpace(a);
        long va = as.allocate(8192, PageProtection.READWRITE);
        as.write(va, text("hello from the CPU"));
        int pasid = mm.bindIommu(a, 0);
        assertEquals(as.pageTableRoot(), iommu.boundPasids().get(pasid));

        byte[] out = new byte[18];
        assertTrue(dma.read(pasid, va, out).completed());
        assertArrayEquals(text("hello from the CPU"), out);

        int b = mm.spawn("b");
        int other = mm.bindIommu(b, 0);
        DmaResult foreign = dma.read(other, va, new byte[18]);
        assertEquals(FaultKind.NOT_PRESENT, foreign.fault().kind());

        as.release(va);
        assertEquals(FaultKind.NOT_PRESENT, dma.read(pasid, va, new byte[18]).fault().kind());
    }

    @Test
    void gpuPageRequestsAreAnsweredByTheOsBundleUnderTheSvaPolicyOnly() {
        assertEquals(os.memmgr.GpuFaultPolicy.WINDOWS, mm.gpuFaultPolicy(), "the configured default");
        int p = mm.spawn("gpu-first");
        long va = mm.addressSpace(p).allocate(4096, PageProtection.READWRITE);
        int pasid = mm.bindIommu(p, 0);
        long requests = iommu.stats().pageRequests();
        DmaResult refused = dma.write(pasid, va, text("gpu"));
        assertEquals(FaultKind.NOT_PRESENT, refused.fault().kind(), "windows: not resident, so a fault");
        assertEquals(requests, iommu.stats().pageRequests());
        mm.setGpuFaultPolicy(os.memmgr.GpuFaultPolicy.SVA);
        try {
            DmaResult written = dma.write(pasid, va, text("gpu"));
            assertTrue(written.completed(), written + " " + iommu.stats());
            assertEquals(requests + 1, iommu.stats().pageRequests());
            assertArrayEquals(text("gpu"), mm.addressSpace(p).read(va, 3));
        } finally {
            mm.setGpuFaultPolicy(os.memmgr.GpuFaultPolicy.WINDOWS);
        }
    }

    @Test
    void processExitReturnsEveryFrameAndPasid() {
        FrameCounts before = mm.frames();
        int p = mm.spawn("worker");
        AddressSpace as = mm.addressSpace(p);
        long va = as.allocate(1 << 20, PageProtection.READWRITE);
        int pasid = mm.bindIommu(p, 0);
        as.write(va, new byte[256 * 1024]); // present: the GPU may write it under the windows fault policy
        DmaResult written = dma.write(pasid, va, new byte[256 * 1024]);
        assertTrue(written.completed(), written + " " + iommu.stats());
        as.pin(va, 4096, true);
        mm.kill(p);
        assertEquals(before, mm.frames());
        assertTrue(!iommu.boundPasids().containsKey(pasid));
    }
}
