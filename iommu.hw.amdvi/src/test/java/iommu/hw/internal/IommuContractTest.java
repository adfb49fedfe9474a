package iommu.hw.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import iommu.hw.Access;
import iommu.hw.AtsPort;
import iommu.hw.FaultKind;
import iommu.hw.PageResponse;
import iommu.hw.Pte;
import iommu.hw.RequesterId;
import iommu.hw.Translation;
import iommu.hw.driver.IommuDriver;
import iommu.hw.driver.IommuDriverFactory;
import iommu.hw.driver.TableFrames;

/**
 * The IOMMU's contract, whatever its architecture, through the neutral API alone (a unit, and the
 * driver its architecture's factory opens): each test runs on a VT-d unit and on an AMD-Vi unit.
 */
class IommuContractTest {
    static final long USER_RW = Pte.PRESENT | Pte.WRITABLE | Pte.USER;
    static final long USER_RO = Pte.PRESENT | Pte.USER;

    final LazySystemMemory memory = new LazySystemMemory(64L << 20);
    final Tables tables = new Tables(memory, 1);
    IommuUnit unit;
    IommuDriver driver;

    void start(String arch, boolean pageRequests) {
        IommuDriverFactory factory;
        if (arch.equals("vtd")) {
            unit = IommuFixture.unit(memory, 0, 1024, 64, 4, 100);
            factory = IommuFixture.drivers(memory);
        } else {
            unit = AmdViFixture.unit(memory, 0, 1024, 64, 4, 100);
            factory = AmdViFixture.drivers(memory);
        }
        assertEquals(arch, unit.architecture());
        driver = factory.open(unit, new TableFrames() {
            @Override
            public long allocate() {
                return tables.frame();
            }

            @Override
            public long allocateContiguous(int frames) {
                return tables.frames(frames);
            }

            @Override
            public void free(long address) {
                // a test's memory is not reused
            }
        }, pageRequests);
    }

    static long pa(Translation t) {
        Translation.Mapping m = assertInstanceOf(Translation.Mapping.class, t, () -> "a mapping, not " + t);
        return m.physicalAddress(m.pageVa());
    }

    static FaultKind fault(Translation t) {
        return assertInstanceOf(Translation.Fault.class, t, () -> "a fault, not " + t).kind();
    }

    @ParameterizedTest
    @ValueSource(strings = {"vtd", "amdvi"})
    void eachPasidSeesItsOwnPageTableAndAnUnboundOneNone(String arch) {
        start(arch, true);
        Tables other = new Tables(memory, 8000);
        tables.map4k(0x10000, 0x100000, USER_RW);
        other.map4k(0x10000, 0x200000, USER_RW);
        driver.bind(5, tables.root);
        driver.bind(600, other.root); // AMD-Vi: another second-level GCR3 table
        assertEquals(0x100000, pa(unit.translate(5, 0x10000, Access.WRITE)));
        assertEquals(0x200000, pa(unit.translate(600, 0x10000, Access.WRITE)));
        assertEquals(FaultKind.PASID_NOT_BOUND, fault(unit.translate(7, 0x10000, Access.READ)));
        assertEquals(java.util.Map.of(5, tables.root, 600, other.root), unit.boundPasids());
    }

    @ParameterizedTest
    @ValueSource(strings = {"vtd", "amdvi"})
    void aCachedTranslationLastsUntilTheDriverInvalidatesItAndNothingOutlivesAnUnbind(String arch) {
        start(arch, true);
        tables.map4k(0x10000, 0x100000, USER_RW);
        driver.bind(5, tables.root);
        assertEquals(0x100000, pa(unit.translate(5, 0x10000, Access.READ)));
        tables.map4k(0x10000, 0x300000, USER_RW); // the OS remaps the page and has not invalidated yet
        assertEquals(0x100000, pa(unit.translate(5, 0x10000, Access.READ)), "the IOTLB holds the old frame");
        driver.invalidate(5, 0x10000, 4096);
        assertEquals(0x300000, pa(unit.translate(5, 0x10000, Access.READ)), "after the invalidation, the new one");
        driver.unbind(5);
        assertEquals(FaultKind.PASID_NOT_BOUND, fault(unit.translate(5, 0x10000, Access.READ)),
                "once unbind returned, nothing of the PASID is cached");
        assertTrue(unit.boundPasids().isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"vtd", "amdvi"})
    void aPageNotPresentIsAPageRequestTheOsAnswersAndWithoutPageRequestsAFault(String arch) {
        start(arch, true);
        driver.bind(5, tables.root);
        List<String> asked = new CopyOnWriteArrayList<>();
        driver.setPageRequestHandler(request -> {
            asked.add(request.pasid() + " " + Long.toHexString(request.va()) + " " + request.access());
            tables.map4k(request.va() & ~0xFFFL, 0x400000, USER_RW);
            return PageResponse.SUCCESS;
        });
        assertEquals(0x400000, pa(unit.translate(5, 0x20000, Access.WRITE)));
        assertEquals(List.of("5 20000 WRITE"), asked);
        driver.setPageRequests(false);
        assertEquals(FaultKind.NOT_PRESENT, fault(unit.translate(5, 0x30000, Access.READ)));
        assertEquals(1, asked.size(), "no page request without page requests enabled");
        driver.setPageRequests(true);
        driver.setPageRequestHandler(request -> PageResponse.INVALID);
        assertEquals(FaultKind.NOT_PRESENT, fault(unit.translate(5, 0x30000, Access.READ)), "an invalid request: the page stays absent");
        driver.setPageRequestHandler(request -> PageResponse.FAILURE);
        assertEquals(FaultKind.PAGE_REQUEST_FAILED, fault(unit.translate(5, 0x30000, Access.READ)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"vtd", "amdvi"})
    void aPermissionFaultIsLoggedAndNeverAPageRequest(String arch) {
        start(arch, true);
        tables.map4k(0x10000, 0x100000, USER_RO);
        driver.bind(5, tables.root);
        driver.setPageRequestHandler(request -> {
            throw new AssertionError("a present page is never requested");
        });
        assertEquals(FaultKind.WRITE_PROTECTED, fault(unit.translate(5, 0x10000, Access.WRITE)));
        assertEquals(FaultKind.WRITE_PROTECTED, unit.faults().get(unit.faults().size() - 1).fault().kind());
    }

    @ParameterizedTest
    @ValueSource(strings = {"vtd", "amdvi"})
    void everyDeviceTlbHearsOfAnInvalidationAndOneThatDoesNotAnswerIsReportedAndBlocked(String arch) {
        start(arch, true);
        tables.map4k(0x10000, 0x100000, USER_RW);
        driver.bind(5, tables.root);
        RequesterId gpu = RequesterId.parse("01:02.0");
        List<String> told = new CopyOnWriteArrayList<>();
        boolean[] answer = {true};
        AtsPort port = unit.device(gpu.value()).attach((pasid, va, length, timeout) -> {
            told.add(pasid + " " + Long.toHexString(va));
            return answer[0];
        });
        assertEquals(0x100000, pa(port.translate(5, 0x10000, Access.READ)));
        driver.invalidate(5, 0x10000, 4096);
        assertTrue(told.contains("5 10000"), "the device was told of the range: " + told);
        List<RequesterId> late = new CopyOnWriteArrayList<>();
        driver.setDeviceTimeoutHandler(late::add);
        answer[0] = false;
        driver.invalidate(5, 0x10000, 4096);
        assertEquals(List.of(gpu), late, "the OS heard which device timed out");
        assertTrue(port.blocked());
        assertFalse(port.read(0x100000, new byte[8], 0, 8), "the unit refuses the device's translated requests");
        port.reset();
        answer[0] = true;
        assertTrue(port.read(0x100000, new byte[8], 0, 8), "a reset device is served again");
    }

    @ParameterizedTest
    @ValueSource(strings = {"vtd", "amdvi"})
    void aDriverRefusesAUnitOfAnotherArchitectureAndBadArgumentsChangeNothing(String arch) {
        start(arch, true);
        IommuDriverFactory other = arch.equals("vtd") ? AmdViFixture.drivers(memory) : IommuFixture.drivers(memory);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> other.open(unit, new TableFrames() {
                    @Override
                    public long allocate() {
                        throw new AssertionError("nothing is allocated for a unit the driver refuses");
                    }

                    @Override
                    public long allocateContiguous(int frames) {
                        throw new AssertionError("nothing is allocated for a unit the driver refuses");
                    }

                    @Override
                    public void free(long address) {
                    }
                }, true));
        assertTrue(e.getMessage().contains("is " + arch), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> driver.bind(0, tables.root));
        assertThrows(IllegalArgumentException.class, () -> driver.bind(driver.maxPasid() + 1, tables.root));
        assertThrows(IllegalArgumentException.class, () -> driver.bind(5, tables.root + 8));
        assertTrue(unit.boundPasids().isEmpty());
        assertFalse(unit.describePasid(5).isEmpty());
    }
}
