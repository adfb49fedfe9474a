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
        long c1 = handles.createContext(d1, kmd.api.EngineNode.RENDER, 0, 1);
        long c2 = handles.createContext(d1, kmd.api.EngineNode.COPY, 0, 1);
        long c3 = handles.createContext(d2, kmd.api.EngineNode.COPY, 0, 1);
        handles.destroyContext(c2);
        handles.destroyDevice(d1);
        assertEquals(java.util.List.of(c3), handles.contexts().stream().map(DriverHandles.Context::handle).toList());
        assertThrows(IllegalArgumentException.class, () -> handles.context(c1));
        assertThrows(IllegalArgumentException.class, () -> handles.destroyContext(c2), "destroyed once already");
        handles.destroyDevice(d2);
        assertTrue(handles.contexts().isEmpty());
    }
}
