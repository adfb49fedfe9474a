package iommu.hw.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

import org.junit.jupiter.api.Test;

import iommu.hw.Iommu;
import iommu.hw.vtd.ExtendedCapability;
import iommu.hw.vtd.VtdDriver;
import iommu.hw.vtd.VtdRegisters;

/** The OS's driver reads ECAP before it uses what it names, and refuses a unit that lacks it, naming the bit. */
class VtdCapabilityTest {
    final LazySystemMemory memory = new LazySystemMemory(16L << 20);
    final IommuUnit unit = IommuFixture.unit(memory, 0, 64, 8, 4);
    final Tables tables = new Tables(memory, 1);

    /** The unit, its registers reporting {@code ecap} instead of its own ECAP. */
    Iommu reporting(long ecap) {
        VtdRegisters real = IommuFixture.registers(unit);
        VtdRegisters registers = (VtdRegisters) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {VtdRegisters.class},
                (proxy, method, args) -> method.getName().equals("extendedCapability") ? ecap : invoke(method, real, args));
        return (Iommu) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Iommu.class},
                (proxy, method, args) -> method.getName().equals("registers") ? registers : invoke(method, unit, args));
    }

    private static Object invoke(java.lang.reflect.Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    VtdDriver driver(Iommu iommu, boolean pageRequests) {
        return new VtdDriver(iommu, memory, new VtdDriver.Frames() {
            @Override
            public long allocate() {
                return tables.frame();
            }

            @Override
            public void free(long address) {
            }
        }, pageRequests);
    }

    @Test
    void theUnitReportsWhatTheDriverUses() {
        ExtendedCapability ecap = ExtendedCapability.decode(IommuFixture.registers(unit).extendedCapability());
        assertEquals(new ExtendedCapability(true, true, true, 19, true, true, true, true), ecap);
        assertTrue(ecap.pasidSize() + 1 >= 15, "PASIDs up to " + VtdDriver.MAX_PASID);
    }

    @Test
    void aUnitWithoutScalableModeOrPageRequestsIsRefusedByName() {
        ExtendedCapability all = ExtendedCapability.decode(IommuFixture.registers(unit).extendedCapability());
        long noSmts = all.encode() & ~(1L << 43);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> driver(reporting(noSmts), true));
        assertEquals("IOMMU unit 0 lacks ECAP.SMTS (scalable mode): this driver cannot use it", e.getMessage());
        long narrowPasids = new ExtendedCapability(true, true, true, 9, true, true, true, true).encode();
        e = assertThrows(IllegalStateException.class, () -> driver(reporting(narrowPasids), false));
        assertTrue(e.getMessage().contains("lacks ECAP.PSS of at least 14 (PASIDs up to 32767; it has 9)"), e.getMessage());

        long noPrs = all.encode() & ~(1L << 29);
        e = assertThrows(IllegalStateException.class, () -> driver(reporting(noPrs), true));
        assertEquals("IOMMU unit 0 lacks ECAP.PRS (page requests): this driver cannot use it", e.getMessage());
        VtdDriver withoutPageRequests = driver(reporting(noPrs), false); // Windows' policy needs none
        assertFalse(withoutPageRequests.pageRequestsEnabled());
        e = assertThrows(IllegalStateException.class, () -> withoutPageRequests.setPageRequests(true));
        assertEquals("IOMMU unit 0 does not support page requests (ECAP.PRS is 0)", e.getMessage());
        assertFalse(withoutPageRequests.pageRequestsEnabled(), "refused: nothing changed");
    }
}
