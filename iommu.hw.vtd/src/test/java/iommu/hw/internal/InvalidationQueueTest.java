package iommu.hw.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import iommu.hw.Access;
import iommu.hw.AtsPort;
import iommu.hw.FaultKind;
import iommu.hw.PageResponse;
import iommu.hw.Pte;
import iommu.hw.Translation;
import iommu.hw.vtd.ContextEntry;
import iommu.hw.vtd.Descriptor;
import iommu.hw.vtd.PageRequestDescriptor;
import iommu.hw.vtd.PasidDirectoryEntry;
import iommu.hw.vtd.PasidEntry;
import iommu.hw.RequesterId;
import iommu.hw.vtd.RootEntry;
import iommu.hw.vtd.VtdDriver;
import iommu.hw.vtd.VtdRegisters;

/**
 * The unit reads its tables from memory through its caches, and only descriptors from its queue change
 * what it caches: in queue order, each wait's status written once everything before it completed, a bad
 * descriptor stopping the queue where it is.
 */
class InvalidationQueueTest {
    static final long USER_RW = Pte.PRESENT | Pte.WRITABLE | Pte.USER;

    final LazySystemMemory memory = new LazySystemMemory(64L << 20);
    final IommuUnit iommu = IommuFixture.unit(memory, 0, 1024, 8, 4);
    final VtdRegisters registers = IommuFixture.registers(iommu);
    final Tables tables = new Tables(memory, 1);

    static long pa(Translation t) {
        return ((Translation.Mapping) t).physicalAddress(((Translation.Mapping) t).pageVa());
    }

    /** Writes {@code descriptors} into the queue from its head and moves the tail past them. */
    void submit(Descriptor... descriptors) {
        int at = registers.invalidationQueueTail() / 32;
        for (Descriptor d : descriptors) {
            long[] words = d.encode();
            for (int i = 0; i < 4; i++) {
                memory.writeLong(registers.invalidationQueue() + 32L * at + 8L * i, words[i]);
            }
            at = (at + 1) % registers.queueEntries();
        }
        registers.setInvalidationQueueTail(32 * at); // IQT holds a byte offset
    }

    @Test
    void withoutTablesInMemoryEveryRequestFaultsForWantOfAContext() {
        Translation.Fault f = (Translation.Fault) iommu.translate(1, 0x10000, Access.READ);
        assertEquals(FaultKind.NO_CONTEXT, f.kind());
        assertThrows(IllegalStateException.class, () -> registers.setInvalidationQueueTail(32), "no queue is set");
    }

    @Test
    void theDriverWritesTheStructuresTheUnitWalksToThePml4() {
        VtdDriver driver = tables.driver(iommu);
        driver.bind(70, tables.root); // PASID 70: directory entry 1, table entry 6
        // by hand, as the unit does: root entry of bus 0 -> (upper) context entry of 00:1f.0 -> directory -> PASID entry
        long root = registers.rootTable();
        RootEntry r = RootEntry.decode(memory.readLong(root), memory.readLong(root + 8));
        assertTrue(r.upperPresent(), "device 0x1f is in the upper half of bus 0's context tables");
        long at = ContextEntry.address(r.upperTable(), IommuUnit.TEST_DEVICE.devfn());
        ContextEntry c = ContextEntry.decode(new long[] {memory.readLong(at), memory.readLong(at + 8), memory.readLong(at + 16),
                memory.readLong(at + 24)});
        assertEquals(c, IommuFixture.contextEntry(iommu, IommuUnit.TEST_DEVICE.value()));
        assertTrue(c.present() && c.pasidEnable() && c.pageRequests());
        assertEquals(VtdDriver.DIRECTORY_SIZE, c.directorySize());
        PasidDirectoryEntry dir = PasidDirectoryEntry.decode(memory.readLong(PasidDirectoryEntry.address(c.directory(), 70)));
        assertTrue(dir.present());
        long entryAt = PasidEntry.address(dir.table(), 70);
        assertEquals(dir.table() + 6 * 64, entryAt);
        long[] raw = IommuFixture.pasidEntry(iommu, 70);
        for (int i = 0; i < 8; i++) {
            assertEquals(memory.readLong(entryAt + 8L * i), raw[i], "word " + i);
        }
        PasidEntry e = PasidEntry.decode(raw);
        assertEquals(PasidEntry.firstLevel(VtdDriver.DOMAIN, tables.root), e);
        assertEquals(java.util.Map.of(70, tables.root), iommu.boundPasids());

        driver.unbind(70);
        assertEquals(0, memory.readLong(PasidDirectoryEntry.address(c.directory(), 70)), "the emptied table left the directory");
        assertNull(IommuFixture.pasidEntry(iommu, 70));
        assertTrue(iommu.boundPasids().isEmpty());
    }

    @Test
    void eachDeviceHasItsOwnContextEntryAndItsOwnDeviceTlbInvalidations() {
        VtdDriver driver = tables.driver(iommu);
        driver.bind(5, tables.root);
        tables.map4k(0x10000, 0x100000, USER_RW);
        java.util.List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        RequesterId gpu0 = RequesterId.parse("00:02.0");
        RequesterId gpu1 = RequesterId.parse("01:02.0");
        AtsPort port0 = iommu.device(gpu0.value()).attach((pasid, va, length, t) -> told.add("gpu0 " + pasid));
        AtsPort port1 = iommu.device(gpu1.value()).attach((pasid, va, length, t) -> told.add("gpu1 " + pasid));
        assertEquals(java.util.List.of(IommuUnit.TEST_DEVICE, gpu0, gpu1), registers.deviceScope(), "devices enter as they come");
        assertTrue(IommuFixture.contextEntry(iommu, gpu1.value()).present(), "the OS wrote the newcomer's context entry on its arrival");
        assertEquals(gpu1.value(), port1.requesterId());
        assertEquals(0x100000, ((Translation.Mapping) port1.translate(5, 0x10000, Access.READ)).physicalAddress(0x10000));

        driver.invalidate(5, 0x10000, 4096);
        assertEquals(java.util.List.of("gpu0 5", "gpu1 5"), told, "one device-TLB invalidation each, by its source id");

        // the OS takes gpu1's context entry away: its requests find no context; the others' still do
        long rootAt = registers.rootTable() + 16L * gpu1.bus();
        RootEntry r = RootEntry.decode(memory.readLong(rootAt), memory.readLong(rootAt + 8));
        memory.writeLong(ContextEntry.address(r.lowerTable(), gpu1.devfn()), 0);
        submit(new Descriptor.ContextCacheInvalidation(Descriptor.ContextCacheInvalidation.GLOBAL, 0, 0, 0),
                new Descriptor.PasidCacheInvalidation(Descriptor.PasidCacheInvalidation.GLOBAL, 0, 0),
                new Descriptor.PasidIotlbInvalidation(Descriptor.PasidIotlbInvalidation.PASID, 1, 0, 0, 0, false));
        assertEquals(FaultKind.NO_CONTEXT, ((Translation.Fault) port1.translate(5, 0x10000, Access.READ)).kind());
        assertEquals(0x100000, ((Translation.Mapping) port0.translate(5, 0x10000, Access.READ)).physicalAddress(0x10000));
    }

    /**
     * Maps three pages of the unaligned run of 65,534 pages from 0x4000_1000 (30 page-selective ranges),
     * has {@code unit}'s IOTLB cache them, remaps them, invalidates the run through {@code driver}, and
     * checks that the unit then translates each to its new frame.
     */
    void invalidateLongRunOfPagesTheIotlbHolds(IommuUnit unit, VtdDriver driver) {
        long base = 0x4000_0000L;
        long first = base + 0x1000;
        long end = base + (0xFFFFL << 12);
        long[] pages = {first, base + 0x800_0000L, end - 0x1000};
        for (int i = 0; i < pages.length; i++) {
            tables.map4k(pages[i], 0x100000L + 0x1000L * i, USER_RW);
            assertEquals(0x100000L + 0x1000L * i, pa(unit.translate(5, pages[i], Access.READ)));
            tables.map4k(pages[i], 0x200000L + 0x1000L * i, USER_RW); // the OS remaps it: the IOTLB still holds the old frame
        }
        driver.invalidate(5, first, end - first);
        for (int i = 0; i < pages.length; i++) {
            assertEquals(0x200000L + 0x1000L * i, pa(unit.translate(5, pages[i], Access.READ)),
                    "page " + i + ": the IOTLB's invalidation was processed");
        }
    }

    /**
     * A batch longer than the queue holds goes in parts, each processed before the next is written: an
     * unaligned run of 65,534 pages is 30 page-selective ranges, each followed by a device-TLB invalidation
     * for each of five devices, and with the wait 181 descriptors, in a queue of 128. Written at once, the
     * batch's end overwrote its start (the IOTLB's descriptors) and its wait still completed.
     */
    @Test
    void aBatchLongerThanTheQueueGoesInPartsAndNoDescriptorIsLost() {
        VtdDriver driver = tables.driver(iommu);
        driver.bind(5, tables.root);
        java.util.concurrent.atomic.AtomicInteger told = new java.util.concurrent.atomic.AtomicInteger();
        for (int bus = 2; bus < 6; bus++) {
            iommu.device(RequesterId.parse(String.format("%02x:00.0", bus)).value())
                    .attach((pasid, va, length, t) -> told.incrementAndGet() > 0);
        }
        assertEquals(5, registers.deviceScope().size());
        assertTrue(30 + 30 * 5 + 1 > registers.queueEntries(), "the batch is longer than the queue");
        invalidateLongRunOfPagesTheIotlbHolds(iommu, driver);
        assertEquals(30 * 4, told.get(), "every device with a device TLB was told of every range");
        assertNull(registers.queueError());
    }

    /**
     * A device that does not answer stops the queue in a batch's first part: the driver writes no part
     * over what the unit has not processed, reports the device, and submits the batch again, which then
     * completes (the device is not asked again until it resets).
     */
    @Test
    void aDeviceTimingOutInALongBatchStopsItThereAndTheBatchGoesAgain() {
        IommuUnit unit = IommuFixture.unit(memory, 1, 1024, 8, 4, 20);
        VtdRegisters regs = IommuFixture.registers(unit);
        VtdDriver driver = tables.driver(unit);
        driver.bind(5, tables.root);
        java.util.List<RequesterId> late = new java.util.ArrayList<>();
        driver.setDeviceTimeoutHandler(late::add);
        java.util.concurrent.atomic.AtomicInteger told = new java.util.concurrent.atomic.AtomicInteger();
        for (int bus = 2; bus < 6; bus++) {
            boolean answers = bus != 3;
            unit.device(RequesterId.parse(String.format("%02x:00.0", bus)).value())
                    .attach((pasid, va, length, t) -> answers && told.incrementAndGet() > 0);
        }
        invalidateLongRunOfPagesTheIotlbHolds(unit, driver);
        assertEquals(java.util.List.of(RequesterId.parse("03:00.0")), late, "the device that did not answer, once");
        assertTrue(told.get() >= 30 * 3, "the three devices that answer were told of every range: " + told.get());
        assertNull(regs.queueError());
        assertNull(regs.invalidationTimeout());
        assertEquals(regs.invalidationQueueTail(), regs.invalidationQueueHead(), "nothing is left in the queue");
    }

    @Test
    void thePasidCacheKeepsAnEntryUntilAPasidCacheInvalidation() {
        VtdDriver driver = tables.driver(iommu);
        driver.bind(5, tables.root);
        // each VA in a 2 MiB region of its own, so that no cached PDE of an earlier walk can serve it
        tables.map4k(0x10000, 0x100000, USER_RW);
        tables.map4k(0x200000, 0x300000, USER_RW);
        tables.map4k(0x400000, 0x301000, USER_RW);
        assertEquals(0x100000, pa(iommu.translate(5, 0x10000, Access.READ)));
        Tables other = new Tables(memory, 4000);
        other.map4k(0x200000, 0x500000, USER_RW);
        other.map4k(0x400000, 0x501000, USER_RW);
        // software rewrites the entry's first-level pointer and invalidates nothing
        long[] entry = IommuFixture.pasidEntry(iommu, 5);
        long dir = IommuFixture.contextEntry(iommu, IommuUnit.TEST_DEVICE.value()).directory();
        long at = PasidEntry.address(PasidDirectoryEntry.decode(memory.readLong(PasidDirectoryEntry.address(dir, 5))).table(), 5);
        memory.writeLong(at + 16, PasidEntry.firstLevel(VtdDriver.DOMAIN, other.root).encode()[2]);
        assertTrue(entry[2] != memory.readLong(at + 16));
        assertEquals(0x300000, pa(iommu.translate(5, 0x200000, Access.READ)), "the unit walks from its cached entry");
        long status = tables.frame();
        submit(new Descriptor.PasidCacheInvalidation(Descriptor.PasidCacheInvalidation.PASID, VtdDriver.DOMAIN, 5),
                new Descriptor.InvalidationWait(false, true, false, false, 42, status));
        assertEquals(42, (int) memory.readLong(status));
        assertEquals(0x501000, pa(iommu.translate(5, 0x400000, Access.READ)), "after the invalidation it reads the new entry");
    }

    @Test
    void descriptorsRunInOrderAndEachWaitWritesItsStatusAfterWhatCameBefore() {
        VtdDriver driver = tables.driver(iommu);
        driver.bind(5, tables.root);
        tables.map4k(0x10000, 0x100000, USER_RW);
        tables.map4k(0x11000, 0x101000, USER_RW);
        iommu.translate(5, 0x10000, Access.READ);
        iommu.translate(5, 0x11000, Access.READ);
        assertEquals(2, iommu.stats().iotlbEntries());
        VtdRegisters.QueueStats before = registers.queueStats();
        long status = tables.frame();
        int head = registers.invalidationQueueHead() / 32;
        submit(new Descriptor.PasidIotlbInvalidation(Descriptor.PasidIotlbInvalidation.PAGES, 1, 5, 0x10000, 0, false),
                new Descriptor.InvalidationWait(false, true, false, false, 1, status),
                new Descriptor.PasidIotlbInvalidation(Descriptor.PasidIotlbInvalidation.PAGES, 1, 5, 0x11000, 0, false),
                new Descriptor.InvalidationWait(false, true, false, false, 2, status + 4));
        assertEquals((head + 4) % registers.queueEntries(), registers.invalidationQueueHead() / 32);
        assertEquals(1, (int) memory.readLong(status));
        assertEquals(2, (int) (memory.readLong(status) >>> 32));
        assertEquals(0, iommu.stats().iotlbEntries());
        VtdRegisters.QueueStats after = registers.queueStats();
        assertEquals(before.iotlb() + 2, after.iotlb());
        assertEquals(before.waits() + 2, after.waits());
        assertNull(registers.queueError());
    }

    /** Raw words into the queue from its tail, then the tail moved past them. */
    void submitWords(long[]... descriptors) {
        int at = registers.invalidationQueueTail() / 32;
        for (long[] words : descriptors) {
            for (int i = 0; i < words.length; i++) {
                memory.writeLong(registers.invalidationQueue() + 32L * at + 8L * i, words[i]);
            }
            at = (at + 1) % registers.queueEntries();
        }
        registers.setInvalidationQueueTail(32 * at); // IQT holds a byte offset
    }

    /**
     * The sequence Linux's intel_iommu_drain_pasid_prq writes for a device without a PASID, word for
     * word as its macros compose it (drivers/iommu/intel/iommu.h): a fenced wait, a domain-selective
     * IOTLB invalidation (type 0x2), a device-TLB invalidation of the whole space with PFSID and QDEP
     * (type 0x3, qi_desc_dev_iotlb with MAX_AGAW_PFN_WIDTH), then qi_submit_sync's wait with status
     * write and page-request drain; and a PASID-based device-TLB invalidation with QDEP and PFSID (type
     * 0x8, qi_desc_dev_iotlb_pasid) and an interrupt entry cache invalidation (type 0x4). The unit runs
     * them all, in order, and the IOTLB drops what it held.
     */
    @Test
    void aSequenceWrittenAsLinuxWritesItRunsThroughTheQueueWithoutError() {
        VtdDriver driver = tables.driver(iommu);
        driver.bind(5, tables.root);
        tables.map4k(0x10000, 0x100000, USER_RW);
        iommu.translate(5, 0x10000, Access.READ);
        assertEquals(1, iommu.stats().iotlbEntries());
        long status = tables.frame();
        int sid = IommuUnit.TEST_DEVICE.value();
        int pfsid = 0x0ABC; // DIT: the physical function's source id
        long pfsidBits = (long) (pfsid & 0xF) << 12 | (long) ((pfsid >>> 4) & 0xFFF) << 52; // QI_DEV_IOTLB_PFSID
        long fence = 1L << 6; // QI_IWD_FENCE
        long statusWrite = 1L << 5; // QI_IWD_STATUS_WRITE
        long prqDrain = 1L << 7; // QI_IWD_PRQ_DRAIN
        long done = 2; // QI_DONE
        long allOnes = (1L << (12 + 52 - 1)) - 1; // addr |= (1 << (VTD_PAGE_SHIFT + mask - 1)) - 1, mask 52
        VtdRegisters.QueueStats before = registers.queueStats();
        int head = registers.invalidationQueueHead() / 32;
        submitWords(
                new long[] {done << 32 | fence | 0x5, 0, 0, 0},
                new long[] {1L << 16 | 2L << 4 | 0x2, 0, 0, 0}, // QI_IOTLB_DID(1) | QI_IOTLB_GRAN(DMA_TLB_DSI_FLUSH) | type
                new long[] {(long) sid << 32 | 4L << 16 | pfsidBits | 0x3, (allOnes & ~0xFFFL) | 1, 0, 0}, // SID, QDEP 4, PFSID; ADDR | S
                new long[] {5L << 32 | (long) sid << 16 | 4L << 4 | pfsidBits | 0x8, 0x7FFF_FFFF_FFFF_F000L | 1L << 11, 0, 0},
                new long[] {0x4, 0, 0, 0}, // interrupt entry cache, global
                new long[] {done << 32 | statusWrite | prqDrain | 0x5, status, 0, 0});
        assertNull(registers.queueError());
        assertEquals((head + 6) % registers.queueEntries(), registers.invalidationQueueHead() / 32, "every descriptor ran");
        assertEquals(done, (int) memory.readLong(status), "the last wait wrote its status");
        assertEquals(0, iommu.stats().iotlbEntries(), "the domain-selective IOTLB invalidation dropped the entry");
        assertEquals(before.deviceTlb() + 1, registers.queueStats().deviceTlb(), "the PASID-based device-TLB invalidation went out");
    }

    @Test
    void theQueueRegistersHoldByteOffsetsAndRefuseReservedBits() {
        VtdDriver driver = tables.driver(iommu);
        driver.bind(5, tables.root);
        assertEquals(0, registers.invalidationQueueTail() % 32, "IQT: a byte offset of 32-byte descriptors");
        int tail = registers.invalidationQueueTail();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registers.setInvalidationQueueTail(tail + 4));
        assertTrue(e.getMessage().startsWith(String.format("IQT 0x%x: reserved bits 4:0 are set", tail + 4)), e.getMessage());
        assertEquals(tail, registers.invalidationQueueTail(), "refused: nothing moved");
        e = assertThrows(IllegalArgumentException.class, () -> registers.setPageRequestQueueHead(1));
        assertTrue(e.getMessage().startsWith("PQH 0x1: reserved bits 4:0 are set"), e.getMessage());
        driver.invalidate(5, 0x10000, 4096); // the driver writes IQT as Linux does (index << 5): the wait completes
        assertEquals(tail + 3 * 32, registers.invalidationQueueTail(), "the IOTLB descriptor, the test device's device-TLB one, a wait");
        assertEquals(registers.invalidationQueueTail(), registers.invalidationQueueHead(), "all processed");
        assertNull(registers.queueError());
    }

    @Test
    void aBadDescriptorStopsTheQueueThereAndTheDriverSaysSo() {
        VtdDriver driver = tables.driver(iommu);
        driver.bind(5, tables.root);
        long status = tables.frame();
        int head = registers.invalidationQueueHead() / 32;
        long base = registers.invalidationQueue();
        memory.writeLong(base + 32L * ((head + 1) % registers.queueEntries()), 0xF); // no such type
        long[] waitWords = new Descriptor.InvalidationWait(false, true, false, false, 9, status).encode();
        for (int i = 0; i < 4; i++) {
            memory.writeLong(base + 32L * ((head + 2) % registers.queueEntries()) + 8L * i, waitWords[i]);
        }
        long[] ok = new Descriptor.PasidCacheInvalidation(Descriptor.PasidCacheInvalidation.GLOBAL, 0, 0).encode();
        for (int i = 0; i < 4; i++) {
            memory.writeLong(base + 32L * head + 8L * i, ok[i]);
        }
        registers.setInvalidationQueueTail(32 * ((head + 3) % registers.queueEntries()));
        assertEquals((head + 1) % registers.queueEntries(), registers.invalidationQueueHead() / 32, "the head stays on the bad descriptor");
        assertTrue(registers.queueError().contains("invalid descriptor type 0xf"), registers.queueError());
        assertEquals(0, memory.readLong(status), "the wait after it never completed");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> driver.invalidate(5, 0x10000, 4096));
        assertTrue(e.getMessage().startsWith("IOMMU unit 0: the invalidation queue stopped: descriptor "), e.getMessage());
    }

    @Test
    void aDeviceThatDoesNotAnswerStopsTheQueueAndAbortsThePendingWaitUntilSoftwareClearsTheTimeOut() {
        IommuUnit unit = IommuFixture.unit(memory, 1, 1024, 8, 4, 20);
        VtdRegisters r = IommuFixture.registers(unit);
        tables.driver(unit).bind(5, tables.root);
        java.util.List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtsPort port = unit.attach((pasid, va, length, timeoutNanos) -> {
            asked.add(pasid + ":" + Long.toHexString(va));
            return false; // never answers
        });
        long status = tables.frame();
        int head = r.invalidationQueueHead() / 32;
        int entries = r.queueEntries();
        long base = r.invalidationQueue();
        Descriptor[] batch = {
                Descriptor.PasidDeviceTlbInvalidation.of(IommuUnit.TEST_DEVICE.value(), 5, 0x10000, 4096),
                new Descriptor.PasidCacheInvalidation(Descriptor.PasidCacheInvalidation.GLOBAL, 0, 0),
                new Descriptor.InvalidationWait(false, true, false, false, 7, status)};
        for (int d = 0; d < batch.length; d++) {
            long[] words = batch[d].encode();
            for (int i = 0; i < 4; i++) {
                memory.writeLong(base + 32L * ((head + d) % entries) + 8L * i, words[i]);
            }
        }
        r.setInvalidationQueueTail(32 * ((head + 3) % entries));
        assertEquals(java.util.List.of("5:10000"), asked);
        assertEquals(IommuUnit.TEST_DEVICE, r.invalidationTimeout(), "ITESID names the device");
        assertEquals((head + 1) % entries, r.invalidationQueueHead() / 32, "the head is past the descriptor that timed out");
        assertEquals(0, memory.readLong(status), "nothing after it ran: the wait did not complete");
        assertTrue(port.blocked(), "the device's translated requests are refused");
        assertEquals(false, port.read(0x100000, new byte[8], 0, 8));
        assertEquals(1, r.queueStats().deviceTlbTimeouts());

        r.clearInvalidationTimeout();
        assertNull(r.invalidationTimeout());
        assertEquals((head + 3) % entries, r.invalidationQueueHead() / 32, "cleared, the queue went on past the wait");
        assertEquals(0, memory.readLong(status), "the wait pending at the time-out was aborted: no status write");
        assertEquals(1, r.queueStats().abortedWaits());
        long[] again = new Descriptor.InvalidationWait(false, true, false, false, 8, status).encode();
        for (int i = 0; i < 4; i++) {
            memory.writeLong(base + 32L * ((head + 3) % entries) + 8L * i, again[i]);
        }
        r.setInvalidationQueueTail(32 * ((head + 4) % entries));
        assertEquals(8, (int) memory.readLong(status), "a wait written after the time-out completes");
        assertTrue(port.blocked(), "still refused until the device resets");
        port.reset();
        assertEquals(true, port.read(0x100000, new byte[8], 0, 8));
    }

    @Test
    void theDriverReportsADeviceThatTimedOutAndSubmitsTheBatchWhoseWaitWasAbortedAgain() {
        IommuUnit unit = IommuFixture.unit(memory, 1, 1024, 8, 4, 20);
        VtdDriver driver = tables.driver(unit);
        driver.bind(5, tables.root);
        tables.map4k(0x10000, 0x100000, USER_RW);
        assertEquals(0x100000, pa(unit.translate(5, 0x10000, Access.READ)));
        tables.map4k(0x10000, 0x300000, USER_RW);
        java.util.List<RequesterId> told = new java.util.ArrayList<>();
        driver.setDeviceTimeoutHandler(told::add);
        unit.attach((pasid, va, length, timeoutNanos) -> false);
        driver.invalidate(5, 0x10000, 4096); // returns: the batch went again after the time-out aborted its wait
        assertEquals(java.util.List.of(IommuUnit.TEST_DEVICE), told);
        assertEquals(1, IommuFixture.registers(unit).queueStats().abortedWaits());
        assertEquals(0x300000, pa(unit.translate(5, 0x10000, Access.READ)), "the invalidation took effect");
        assertNull(IommuFixture.registers(unit).invalidationTimeout());
        driver.invalidate(5, 0x10000, 4096); // a blocked device is not asked again until it resets
        assertEquals(1, told.size());
    }

    @Test
    void aPageRequestIsADescriptorInMemoryAnsweredByAPageGroupResponse() {
        VtdDriver driver = tables.driver(iommu);
        driver.bind(9, tables.root);
        driver.setPageRequestHandler(r -> {
            tables.map4k(r.va(), 0x700000, USER_RW);
            return PageResponse.SUCCESS;
        });
        assertEquals(0x700123, ((Translation.Mapping) iommu.translate(9, 0x4123, Access.WRITE)).physicalAddress(0x4123));
        long at = registers.pageRequestQueue() + 32L * (((registers.pageRequestQueueTail() / 32) - 1) & (registers.pageRequestQueueEntries() - 1));
        PageRequestDescriptor d = PageRequestDescriptor.decode(
                new long[] {memory.readLong(at), memory.readLong(at + 8), memory.readLong(at + 16), memory.readLong(at + 24)});
        assertEquals(new PageRequestDescriptor(IommuUnit.TEST_DEVICE.value(), 9, true, false, false, false, true, true,
                d.groupIndex(), 0x4000), d, "a group of one page: the write request, the page, the last in its group");
        VtdRegisters.QueueStats s = registers.queueStats();
        assertEquals(1, s.pageRequests());
        assertEquals(1, s.groupsSucceeded());
        assertEquals(1, s.groupResponses(), "the answer went through the invalidation queue");
        long last = registers.invalidationQueue() + 32L * (((registers.invalidationQueueTail() / 32) - 1) & (registers.queueEntries() - 1));
        assertEquals(new Descriptor.PageGroupResponse(d.requesterId(), 9, d.pasidPresent(), Descriptor.PageGroupResponse.SUCCESS,
                d.groupIndex(), true), Descriptor.decode(new long[] {memory.readLong(last), memory.readLong(last + 8), 0, 0}),
                "the response names the group and copies PASID present from its request");
        assertEquals(registers.pageRequestQueueTail() / 32, registers.pageRequestQueueHead() / 32);
    }

    PageRequestDescriptor prqEntry(int index) {
        long at = registers.pageRequestQueue() + 32L * (index & (registers.pageRequestQueueEntries() - 1));
        return PageRequestDescriptor.decode(new long[] {memory.readLong(at), memory.readLong(at + 8), 0, 0});
    }

    @Test
    void aDeviceAsksForThePagesItsTransferGoesOnToInOneGroupAnsweredOnce() {
        VtdDriver driver = tables.driver(iommu);
        driver.bind(9, tables.root);
        java.util.List<Long> asked = new java.util.ArrayList<>();
        driver.setPageRequestHandler(r -> {
            asked.add(r.va());
            if (r.va() == 0x7000) {
                return PageResponse.INVALID; // the group's last page is not the process's
            }
            tables.map4k(r.va(), 0x700000 + r.va(), USER_RW);
            return PageResponse.SUCCESS;
        });
        AtsPort port = iommu.attach((pasid, va, length, timeoutNanos) -> true);
        int first = registers.pageRequestQueueTail() / 32;
        Translation t = port.translate(9, 0x3010, Access.READ, 3);
        assertEquals(0x703010, ((Translation.Mapping) t).physicalAddress(0x3010));
        assertEquals(java.util.List.of(0x3000L, 0x4000L, 0x5000L), asked, "one request a page, in order");
        int group = prqEntry(first).groupIndex();
        for (int i = 0; i < 3; i++) {
            PageRequestDescriptor d = prqEntry(first + i);
            assertEquals(0x3000L + 4096L * i, d.address());
            assertEquals(group, d.groupIndex(), "one group");
            assertEquals(i == 2, d.lastInGroup(), "the last request closes the group");
        }
        VtdRegisters.QueueStats s = registers.queueStats();
        assertEquals(3, s.pageRequests());
        assertEquals(1, s.groupsSucceeded());
        assertEquals(1, s.groupResponses(), "one response for the group");
        assertEquals(Translation.Mapping.class, port.translate(9, 0x4000, Access.READ, 3).getClass(),
                "the group brought the next pages in: no page request");
        assertEquals(3, registers.queueStats().pageRequests());

        asked.clear(); // a group with a page the OS refuses: asked again for the first page alone
        Translation v = port.translate(9, 0x6000, Access.READ, 2);
        assertEquals(java.util.List.of(0x6000L, 0x7000L, 0x6000L), asked, "the group of 2, then the page alone");
        assertEquals(0x706000, ((Translation.Mapping) v).physicalAddress(0x6000));
        s = registers.queueStats();
        assertEquals(1, s.groupsInvalid());
        assertEquals(2, s.groupsSucceeded());
    }

    @Test
    void aFullPageRequestQueueTurnsRequestsAwayAndCountsThem() {
        VtdDriver driver = tables.driver(iommu);
        driver.bind(9, tables.root);
        registers.setPageRequestInterrupt(() -> { }); // software that never reads the queue
        int entries = registers.pageRequestQueueEntries();
        for (int i = 0; i < entries - 1; i++) { // each is queued and, unanswered, fails
            Translation.Fault f = (Translation.Fault) iommu.translate(9, 0x100000 + 4096L * i, Access.READ);
            assertEquals(FaultKind.PAGE_REQUEST_FAILED, f.kind());
        }
        assertEquals(0, registers.queueStats().overflows());
        Translation.Fault full = (Translation.Fault) iommu.translate(9, 0x900000, Access.READ);
        assertEquals(FaultKind.PAGE_REQUEST_FAILED, full.kind(), "no room: the device retried, then gave up");
        assertTrue(registers.queueStats().overflows() > 0);
        assertEquals(entries - 1, registers.queueStats().pageRequests(), "no request was lost or written over another");
    }
}
