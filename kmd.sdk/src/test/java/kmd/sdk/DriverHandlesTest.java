package kmd.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DriverHandlesTest {
    final DriverHandles handles = new DriverHandles("test", 0x100);

    @Test
    void aDeviceTakesOneOfItsProcesssPasidsAndUnknownHandlesAreRefusedByName() {
        long p = handles.createProcess(4, new int[] {3, 7});
        long d = handles.createDevice(p, 7);
        assertEquals(7, handles.devicePasid(d));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> handles.createDevice(p, 5));
        assertTrue(e.getMessage().contains("PASID 5 is not one of its process's PASIDs [3, 7]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> handles.devicePasid(0x999));
        assertEquals("test: unknown device handle 0x999", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> handles.createProcess(4, new int[0]));
        assertEquals(1, handles.devices().size(), "the refused calls added nothing");
        handles.destroyDevice(d);
        handles.destroyProcess(p);
        assertThrows(IllegalArgumentException.class, () -> handles.destroyProcess(p));
        assertTrue(handles.processes().isEmpty() && handles.devices().isEmpty());
    }

    @Test
    void destroyingADeviceDropsItsContextsAndNoOneElses() {
        long p = handles.createProcess(4, new int[] {3});
        long d1 = handles.createDevice(p, 3);
        long d2 = handles.createDevice(p, 3);
        long c1 = handles.createContext(d1, kmd.api.EngineNode.RENDER.nodeOrdinal(), 1, 1);
        long c2 = handles.createContext(d1, kmd.api.EngineNode.COPY.nodeOrdinal(), 1, 1);
        long c3 = handles.createContext(d2, kmd.api.EngineNode.COPY.nodeOrdinal(), 1, 1);
        handles.destroyContext(c2);
        handles.destroyDevice(d1);
        assertEquals(java.util.List.of(c3), handles.contexts().stream().map(DriverHandles.Context::handle).toList());
        assertThrows(IllegalArgumentException.class, () -> handles.context(c1));
        assertThrows(IllegalArgumentException.class, () -> handles.destroyContext(c2), "destroyed once already");
        handles.destroyDevice(d2);
        assertTrue(handles.contexts().isEmpty());
    }

    @Test
    void aContextNamesANodeOrdinalAndTheEngineAffinityBitOfOneOfTheAdaptersGpus() {
        long p = handles.createProcess(4, new int[] {3, 9});
        long d = handles.createDevice(p, 3);
        long c = handles.createContext(d, kmd.api.EngineNode.COPY.nodeOrdinal(), 0b10, 2);
        assertEquals(new DriverHandles.Context(c, d, kmd.api.EngineNode.COPY, 1), handles.context(c));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> handles.createContext(d, 2, 1, 2));
        assertEquals("test: NodeOrdinal 2 is not a node of the adapter (0 copy, 1 render)", e.getMessage());
        for (int affinity : new int[] {0, 0b11, 0b100}) {
            e = assertThrows(IllegalArgumentException.class, () -> handles.createContext(d, 1, affinity, 2));
            assertEquals("test: EngineAffinity 0x" + Integer.toHexString(affinity) + " is not one physical GPU of the adapter's 2",
                    e.getMessage());
        }
        assertEquals(1, handles.contexts().size(), "the refused calls added nothing");
    }

    @Test
    void closeAllocationTakesTheHandleOpenAllocationReturnedToThatDeviceOnly() {
        long p = handles.createProcess(4, new int[] {3});
        long d1 = handles.createDevice(p, 3);
        long d2 = handles.createDevice(p, 3);
        long a = handles.openAllocation(d1, 0x7001, true);
        long b = handles.openAllocation(d2, 0x7002, false);
        assertTrue(a != b, "two opens, two handles");
        assertEquals(1, handles.openedBy(d1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> handles.closeAllocation(d1, b));
        assertEquals("test: unknown open allocation handle 0x" + Long.toHexString(b), e.getMessage());
        assertEquals(new DriverHandles.Open(a, d1, 0x7001, true), handles.closeAllocation(d1, a));
        assertThrows(IllegalArgumentException.class, () -> handles.closeAllocation(d1, a), "closed once already");
        handles.destroyDevice(d2);
        assertEquals(0, handles.openedBy(d2), "its opens went with the device");
        assertThrows(IllegalArgumentException.class, () -> handles.openAllocation(d2, 0x7003, true));
    }
}
