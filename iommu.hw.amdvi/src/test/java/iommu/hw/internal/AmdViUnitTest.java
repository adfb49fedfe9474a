package iommu.hw.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import iommu.hw.Access;
import iommu.hw.FaultKind;
import iommu.hw.Iommu;
import iommu.hw.PageResponse;
import iommu.hw.Pte;
import iommu.hw.RequesterId;
import iommu.hw.Translation;
import iommu.hw.amdvi.AmdViDriver;
import iommu.hw.amdvi.AmdViRegisters;
import iommu.hw.amdvi.Command;
import iommu.hw.amdvi.DeviceTableEntry;
import iommu.hw.amdvi.Event;
import iommu.hw.amdvi.ExtendedFeatures;
import iommu.hw.amdvi.Gcr3Table;
import iommu.hw.driver.TableFrames;

/**
 * An AMD-Vi unit as its driver programs it: the device table entry and GCR3 entry it reads, the
 * command buffer as Linux fills it, the event log and the PPR log.
 */
class AmdViUnitTest {
    static final long USER_RW = Pte.PRESENT | Pte.WRITABLE | Pte.USER;

    final LazySystemMemory memory = new LazySystemMemory(64L << 20);
    final Tables tables = new Tables(memory, 1);
    final IommuUnit unit = AmdViFixture.unit(memory, 0, 1024, 64, 4, 100);
    final AmdViRegisters registers = AmdViFixture.registers(unit);

    TableFrames frames() {
        return new TableFrames() {
            @Override
            public long allocate() {
                return tables.frame();
            }

            @Override
            public long allocateContiguous(int count) {
                return tables.frames(count);
            }

            @Override
            public void free(long address) {
            }
        };
    }

    AmdViDriver driver() {
        return new AmdViDriver(unit, memory, frames(), true);
    }

    /** The events in the log from its head to its tail, decoded; the head moves past them. */
    List<Event> events() {
        List<Event> out = new ArrayList<>();
        long size = (long) registers.eventLogEntries() * Event.BYTES;
        for (long at = registers.eventHead(); at != registers.eventTail(); at = (at + Event.BYTES) % size) {
            out.add(Event.decode(new long[] {memory.readLong(registers.eventLog() + at), memory.readLong(registers.eventLog() + at + 8)}));
        }
        registers.setEventHead(registers.eventTail());
        return out;
    }

    @Test
    void theDriverWritesAGuestDeviceTableEntryAndAGcr3EntryPointingAtThePml4() {
        AmdViDriver driver = driver();
        tables.map4k(0x10000, 0x100000, USER_RW);
        driver.bind(700, tables.root);
        DeviceTableEntry dte = ((iommu.hw.amdvi.internal.AmdViUnit) unit.architectureUnit()).deviceTableEntry(IommuUnit.TEST_DEVICE.value());
        assertNotNull(dte);
        assertTrue(dte.valid() && dte.translationValid() && dte.guestTranslation() && dte.pageRequests() && dte.iotlb());
        assertEquals(0, dte.mode(), "no host translation: guest physical is system physical");
        assertEquals(AmdViDriver.GLX, dte.glx());
        long top = memory.readLong(dte.gcr3Table() + 8L * Gcr3Table.index(700, 1));
        assertTrue(Gcr3Table.valid(top));
        long entry = memory.readLong(Gcr3Table.address(top) + 8L * Gcr3Table.index(700, 0));
        assertEquals(Gcr3Table.entry(tables.root), entry, "the GCR3 entry is the PML4 and GCR3_VALID");
        String shown = unit.describePasid(700);
        assertTrue(shown.contains(String.format("guest CR3 (PML4) 0x%x", tables.root)), shown);
        assertTrue(unit.describeDevices().contains("GV 1  GLX 1"), unit.describeDevices());
        assertEquals(0x100000, ((Translation.Mapping) unit.translate(700, 0x10000, Access.READ)).physicalAddress(0x10000));
    }

    @Test
    void commandsWrittenAsLinuxWritesThemForAnUnbindRunThroughTheBufferWithoutError() {
        AmdViDriver driver = driver();
        driver.bind(5, tables.root);
        long before = registers.stats().iotlbInvalidations();
        long sem = tables.frame();
        int devid = IommuUnit.TEST_DEVICE.value();
        // dev_flush_pasid_all: INVALIDATE_IOMMU_PAGES (per-device DomainID, PASID, GN, PDE, all pages),
        // INVALIDATE_IOTLB_PAGES (devid, qdep, GN, all pages), then iommu_completion_wait's store
        List<Command> linux = List.of(new Command.InvalidateIommuPages(AmdViDriver.DOMAIN, 5, true, true, true, Command.ALL_PAGES_ADDRESS),
                new Command.InvalidateIotlbPages(devid, 32, devid, 5, true, true, Command.ALL_PAGES_ADDRESS),
                new Command.InvalidateDevtabEntry(devid), new Command.CompletionWait(true, false, sem, 0x1234_5678_9ABCL));
        long tail = registers.commandTail();
        for (Command c : linux) {
            long[] w = c.encode();
            memory.writeLong(registers.commandBuffer() + tail, w[0]);
            memory.writeLong(registers.commandBuffer() + tail + 8, w[1]);
            tail = (tail + 16) % (registers.commandBufferEntries() * 16L);
        }
        registers.setCommandTail(tail);
        assertNull(registers.commandError());
        assertEquals(tail, registers.commandHead(), "the unit ran every command");
        assertEquals(0x1234_5678_9ABCL, memory.readLong(sem), "the completion wait stored its data");
        assertEquals(before + 1, registers.stats().iotlbInvalidations());
    }

    /**
     * Writes a COMPLETION_WAIT with a reserved bit set at the tail and moves the tail past it, by hand;
     * returns its two words (the unit stops on it: the head stays at the old tail).
     */
    long[] illegalCommandAtTheTail() {
        long tail = registers.commandTail();
        long at = registers.commandBuffer() + tail;
        long[] w = new Command.CompletionWait(true, false, tables.frame(), 1).encode();
        w[0] |= 1L << 55; // reserved bits 59:52
        memory.writeLong(at, w[0]);
        memory.writeLong(at + 8, w[1]);
        registers.setCommandTail((tail + 16) % (registers.commandBufferEntries() * 16L));
        assertEquals(tail, registers.commandHead(), "the head stays on the illegal command");
        return w;
    }

    @Test
    void anIllegalCommandStopsTheBufferOnItAndIsLoggedAtItsAddress() {
        AmdViDriver driver = driver();
        events();
        long at = registers.commandBuffer() + registers.commandTail();
        illegalCommandAtTheTail();
        assertTrue(registers.commandError().contains("reserved"), registers.commandError());
        assertEquals(List.of(new Event.IllegalCommand(at)), events());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> driver.bind(5, tables.root));
        assertTrue(e.getMessage().contains("command buffer stopped"), e.getMessage());
    }

    /**
     * A batch longer than the room a stopped buffer has left (an INVALIDATE_IOTLB_PAGES for each of 300
     * devices, in 256 entries) is not written over the command the unit stopped on: the driver stops
     * writing when a full buffer does not empty, and says the buffer stopped.
     */
    @Test
    void aStoppedBufferIsNotWrittenOverByALongBatch() {
        AmdViDriver driver = driver();
        driver.bind(5, tables.root);
        for (int i = 0; i < 300; i++) {
            unit.device(0x100 + i); // each enters the unit's scope: the driver flushes its IOTLB on every invalidation
        }
        long tail = registers.commandTail();
        long at = registers.commandBuffer() + tail;
        long[] w = illegalCommandAtTheTail();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> driver.invalidate(5, 0x10000, 4096));
        assertTrue(e.getMessage().contains("command buffer stopped"), e.getMessage());
        assertEquals(tail, registers.commandHead());
        assertEquals(w[0], memory.readLong(at), "the command the unit stopped on is still there");
        assertEquals(w[1], memory.readLong(at + 8));
    }

    @Test
    void aFaultIsAnIoPageFaultEventNamingTheDevicePasidAndAccess() {
        driver().bind(5, tables.root);
        events();
        tables.map4k(0x10000, 0x100000, Pte.PRESENT | Pte.USER);
        assertEquals(FaultKind.WRITE_PROTECTED, assertInstanceOf(Translation.Fault.class, unit.translate(5, 0x10000, Access.WRITE)).kind());
        assertEquals(List.of(new Event.IoPageFault(IommuUnit.TEST_DEVICE.value(), 5, true, false, true, true, true, true, false, 0x10000)),
                events());
    }

    @Test
    void pageRequestsGoThroughThePprLogAndAreAnsweredWithCompletePprRequest() {
        AmdViDriver driver = driver();
        driver.bind(5, tables.root);
        driver.setPageRequestHandler(r -> {
            tables.map4k(r.va() & ~0xFFFL, 0x200000 + (r.va() & 0xF000), USER_RW);
            return PageResponse.SUCCESS;
        });
        iommu.hw.AtsPort port = unit.device(RequesterId.parse("01:02.0").value()).attach((p, va, l, t) -> true);
        assertInstanceOf(Translation.Mapping.class, port.translate(5, 0x40000, Access.READ, 4), "a group of four pages");
        AmdViRegisters.Stats s = registers.stats();
        assertEquals(4, s.pageRequests(), "one PPR log entry a page");
        assertEquals(1, s.groupsSucceeded(), "one COMPLETE_PPR_REQUEST for the group");
        assertEquals(registers.pprTail(), registers.pprHead(), "the driver read the log");
        assertEquals(1, s.pprCompletions());
    }

    @Test
    void aDeviceTlbTimeoutIsAnIotlbInvTimeoutEventAndTheWaitStillCompletes() {
        AmdViDriver driver = driver();
        driver.bind(5, tables.root);
        RequesterId gpu = RequesterId.parse("01:02.0");
        unit.device(gpu.value()).attach((p, va, l, t) -> false);
        List<RequesterId> late = new ArrayList<>();
        driver.setDeviceTimeoutHandler(late::add);
        driver.invalidate(5, 0x10000, 4096);
        assertEquals(List.of(gpu), late);
        assertEquals(1, registers.stats().iotlbTimeouts());
        assertEquals(registers.eventTail(), registers.eventHead(), "the driver read the event log");
        assertNull(registers.commandError());
    }

    @Test
    void theDriverRefusesAUnitWithoutGuestTranslationAndAllocatesNothing() {
        ExtendedFeatures without = new ExtendedFeatures(true, false, false, true, 1, 15);
        AmdViRegisters real = registers;
        AmdViRegisters fake = (AmdViRegisters) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {AmdViRegisters.class}, (proxy, method, args) -> method.getName().equals("extendedFeatures")
                        ? without.encode() : method.invoke(real, args));
        Iommu lacking = (Iommu) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Iommu.class},
                (proxy, method, args) -> method.getName().equals("registers") ? fake : method.invoke(unit, args));
        TableFrames none = new TableFrames() {
            @Override
            public long allocate() {
                throw new AssertionError("nothing is allocated");
            }

            @Override
            public long allocateContiguous(int count) {
                throw new AssertionError("nothing is allocated");
            }

            @Override
            public void free(long address) {
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AmdViDriver(lacking, memory, none, true));
        assertTrue(e.getMessage().contains("GTSup"), e.getMessage());
    }

    @Test
    void aDeviceWithoutAUsableEntryFaultsNoContext() {
        driver().bind(5, tables.root);
        tables.map4k(0x10000, 0x100000, USER_RW);
        iommu.hw.AtsPort far = unit.device(RequesterId.parse("10:00.0").value()).attach((p, va, l, t) -> true);
        assertEquals(FaultKind.NO_CONTEXT, assertInstanceOf(Translation.Fault.class, far.translate(5, 0x10000, Access.READ)).kind(),
                "bus 16 is beyond the device table the driver wrote");
    }
}
