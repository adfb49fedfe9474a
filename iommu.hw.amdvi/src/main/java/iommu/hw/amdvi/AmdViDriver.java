package iommu.hw.amdvi;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import iommu.hw.Access;
import iommu.hw.Iommu;
import iommu.hw.PageRequest;
import iommu.hw.PageRequestHandler;
import iommu.hw.PageResponse;
import iommu.hw.Pasid;
import iommu.hw.RequesterId;
import iommu.hw.SystemMemory;
import iommu.hw.driver.IommuDriver;
import iommu.hw.driver.OpenPageGroups;
import iommu.hw.driver.TableFrames;

/**
 * What an operating system's IOMMU driver does with one AMD-Vi unit, as Linux's
 * {@code drivers/iommu/amd} does it for shared virtual addressing: at start it reads the extended
 * feature register ({@link ExtendedFeatures}) and refuses a unit without what it uses, writes a device
 * table with an entry for every device in the unit's scope (and each that arrives later: V, TV, GV, GLX
 * {@value #GLX}, IR, IW, I for ATS, PPR as {@link #setPageRequests} says, all pointing at one GCR3
 * table), programs the command buffer, the event log and the PPR log, enables the unit and invalidates
 * everything; {@link #bind} writes the PASID's GCR3 entry (the process's PML4) and {@link #unbind} clears
 * it; every change and {@link #invalidate} is a batch of commands (INVALIDATE_IOMMU_PAGES with GN and
 * PDE, INVALIDATE_IOTLB_PAGES to each device) ending with a COMPLETION_WAIT whose store the driver checks
 * before it returns, as Linux's {@code dev_flush_pasid_pages} and {@code iommu_completion_wait} do.
 *
 * <p>A device that does not answer an IOTLB invalidation in time is logged by the unit
 * (IOTLB_INV_TIMEOUT): the driver reads the event log after the wait, reports the device in one line and
 * to its {@linkplain #setDeviceTimeoutHandler device time-out handler}. Page requests arrive in the PPR
 * log; the driver answers each group with COMPLETE_PPR_REQUEST. Thread safe: calls are serialized, as a
 * driver serializes its command buffer.
 */
public final class AmdViDriver implements IommuDriver {
    private static final System.Logger LOG = System.getLogger(AmdViDriver.class.getName());
    /** The DomainID of every device table entry (the model's one domain). */
    public static final int DOMAIN = 1;
    /** GLX: a GCR3 table of two levels (PASIDs up to 2^18 - 1; the unit's PASmax limits them further). */
    public static final int GLX = 1;
    /** The device table's frames: 4096 entries, DeviceIDs of buses 0..15 (size field 31). */
    public static final int DEVICE_TABLE_FRAMES = 32;
    /** Command buffer, event log and PPR log: 2^8 entries of 16 bytes, one frame each. */
    private static final int LEN = 8;
    /** Queue depth of every device's ATS (INVALIDATE_IOTLB_PAGES's MaxPend). */
    private static final int QUEUE_DEPTH = 32;

    private final Iommu unit;
    private final AmdViRegisters registers;
    private final SystemMemory memory;
    private final TableFrames frames;
    private final ExtendedFeatures features;
    private final int maxPasid;
    private final long deviceTable;
    private final long commandBuffer;
    private final long eventLog;
    private final long pprLog;
    private final long semaphore;
    private final long gcr3;
    /** Second-level GCR3 tables by first-level index, and how many valid entries each holds. */
    private final Map<Integer, Long> gcr3Tables = new HashMap<>();
    private final Map<Integer, Integer> used = new HashMap<>();
    private final List<RequesterId> devices = new ArrayList<>();
    private boolean pageRequestsEnabled;
    private long sequence;
    private boolean closed;
    /** Held while a log is drained: one drainer at a time, never with this driver's monitor. */
    private final Object draining = new Object();
    /** Page groups whose last request has not arrived yet (under {@link #draining}). */
    private final OpenPageGroups openGroups = new OpenPageGroups();
    private volatile PageRequestHandler handler;
    private volatile java.util.function.Consumer<RequesterId> timeoutHandler = device -> { };

    /**
     * Writes the unit's tables, programs and enables it, and invalidates everything it caches.
     *
     * @throws IllegalArgumentException if the unit is not an AMD-Vi unit or lacks what the driver uses
     *                                  (nothing is allocated then)
     */
    public AmdViDriver(Iommu unit, SystemMemory memory, TableFrames frames, boolean enablePageRequests) {
        this.unit = unit;
        this.registers = unit.registers(AmdViRegisters.class);
        if (registers == null) {
            throw new IllegalArgumentException("IOMMU unit " + unit.unit() + " is " + unit.architecture() + ", not AMD-Vi");
        }
        this.features = ExtendedFeatures.decode(registers.extendedFeatures());
        requireFeatures(unit.unit(), features, enablePageRequests);
        this.maxPasid = Math.min(features.maxPasid(), Gcr3Table.maxPasid(GLX));
        this.memory = memory;
        this.frames = frames;
        this.pageRequestsEnabled = enablePageRequests;
        this.deviceTable = frames.allocateContiguous(DEVICE_TABLE_FRAMES);
        this.commandBuffer = frames.allocate();
        this.eventLog = frames.allocate();
        this.pprLog = frames.allocate();
        this.semaphore = frames.allocate();
        this.gcr3 = frames.allocate();
        registers.setDeviceTable(deviceTable, DEVICE_TABLE_FRAMES - 1);
        registers.setCommandBuffer(commandBuffer, LEN);
        registers.setEventLog(eventLog, LEN);
        registers.setPprLog(pprLog, LEN);
        registers.setInterrupt(this::interrupt);
        long control = AmdViRegisters.IOMMU_EN | AmdViRegisters.CMDBUF_EN | AmdViRegisters.EVT_LOG_EN | AmdViRegisters.EVT_INT_EN
                | AmdViRegisters.GT_EN;
        if (features.pageRequests()) {
            control |= AmdViRegisters.PPR_EN | AmdViRegisters.PPRLOG_EN | AmdViRegisters.PPRINT_EN;
        }
        registers.setControl(control);
        synchronized (this) { // a device arriving meanwhile waits for its entry
            registers.setDeviceArrival(this::deviceArrived);
            for (RequesterId rid : registers.deviceScope()) {
                deviceArrived(rid);
            }
            submit(List.of(new Command.InvalidateIommuAll()));
        }
    }

    private static void requireFeatures(int unit, ExtendedFeatures efr, boolean pageRequests) {
        String missing = !efr.guestTranslation() ? "GTSup (guest translation)" : efr.glx() < GLX ? "GLXSup >= " + GLX
                : !efr.invalidateAll() ? "IASup (INVALIDATE_IOMMU_ALL)" : pageRequests && !efr.pageRequests() ? "PPRSup (page requests)"
                : null;
        if (missing != null) {
            throw new IllegalArgumentException("IOMMU unit " + unit + " lacks " + missing + " in its extended feature register");
        }
    }

    /** A device entered the unit's scope: its device table entry is written and the unit's cached copy dropped. */
    private synchronized void deviceArrived(RequesterId rid) {
        if (closed || devices.contains(rid)) {
            return;
        }
        if (rid.value() >= DEVICE_TABLE_FRAMES * 4096 / DeviceTableEntry.BYTES) {
            LOG.log(System.Logger.Level.ERROR, "IOMMU unit " + unit.unit() + ": device " + rid
                    + " is beyond the device table (buses 0..15); its requests fault");
            return;
        }
        devices.add(rid);
        writeEntry(rid);
        submit(List.of(new Command.InvalidateDevtabEntry(rid.value())));
    }

    /**
     * Writes {@code rid}'s entry as Linux's update_dte256 writes one that gains V and GV: the upper half
     * first, then the lower, so that the unit never sees GV with half an entry.
     */
    private void writeEntry(RequesterId rid) {
        long[] w = DeviceTableEntry.guest(DOMAIN, gcr3, GLX, pageRequestsEnabled, true).encode();
        long at = DeviceTableEntry.address(deviceTable, rid.value());
        memory.writeLong(at + 16, w[2]);
        memory.writeLong(at + 24, w[3]);
        memory.writeLong(at + 8, w[1]);
        memory.writeLong(at, w[0]);
    }

    /** Whether the devices may send page requests: PPR in every device table entry, now and as devices arrive. */
    @Override
    public synchronized void setPageRequests(boolean enabled) {
        ensureOpen();
        if (enabled && !features.pageRequests()) {
            throw new IllegalArgumentException("IOMMU unit " + unit.unit() + " lacks PPRSup (page requests) in its extended feature register");
        }
        if (enabled == pageRequestsEnabled) {
            return;
        }
        pageRequestsEnabled = enabled;
        List<Command> batch = new ArrayList<>();
        for (RequesterId rid : devices) {
            writeEntry(rid);
            batch.add(new Command.InvalidateDevtabEntry(rid.value()));
        }
        submit(batch);
    }

    public synchronized boolean pageRequestsEnabled() {
        return pageRequestsEnabled;
    }

    @Override
    public Iommu unit() {
        return unit;
    }

    @Override
    public int maxPasid() {
        return maxPasid;
    }

    /** Writes {@code pasid}'s GCR3 entry (the second-level table made on first use) pointing at {@code pml4}, then flushes the PASID. */
    @Override
    public synchronized void bind(int pasid, long pml4) {
        ensureOpen();
        checkPasid(pasid);
        if ((pml4 & 0xFFF) != 0 || pml4 < 0 || pml4 + 4096 > memory.size()) {
            throw new IllegalArgumentException(String.format(
                    "page-table root 0x%x for PASID %d is not a page-aligned address inside system memory", pml4, pasid));
        }
        int top = Gcr3Table.index(pasid, 1);
        Long table = gcr3Tables.get(top);
        if (table != null && Gcr3Table.valid(memory.readLong(table + 8L * Gcr3Table.index(pasid, 0)))) {
            throw new IllegalStateException("PASID " + pasid + " is already bound");
        }
        if (table == null) {
            table = frames.allocate();
            gcr3Tables.put(top, table);
            memory.writeLong(gcr3 + 8L * top, Gcr3Table.entry(table));
        }
        long at = table + 8L * Gcr3Table.index(pasid, 0);
        used.merge(top, 1, Integer::sum);
        memory.writeLong(at, Gcr3Table.entry(pml4));
        submit(flush(pasid, 0, Long.MAX_VALUE)); // update_gcr3 then dev_flush_pasid_all
    }

    /** Clears {@code pasid}'s GCR3 entry and flushes it; a second-level table left empty is freed after its own flush. */
    @Override
    public synchronized void unbind(int pasid) {
        ensureOpen();
        checkPasid(pasid);
        int top = Gcr3Table.index(pasid, 1);
        Long table = gcr3Tables.get(top);
        if (table == null || !Gcr3Table.valid(memory.readLong(table + 8L * Gcr3Table.index(pasid, 0)))) {
            throw new IllegalStateException("PASID " + pasid + " is not bound");
        }
        memory.writeLong(table + 8L * Gcr3Table.index(pasid, 0), 0);
        boolean empty = used.merge(top, -1, Integer::sum) == 0;
        if (empty) {
            memory.writeLong(gcr3 + 8L * top, 0);
        }
        submit(flush(pasid, 0, Long.MAX_VALUE));
        if (empty) {
            used.remove(top);
            gcr3Tables.remove(top);
            frames.free(table); // nothing caches it any more: the flush above waited for that
        }
    }

    /** Removes the translations of {@code [va, va + length)} for {@code pasid} from the unit and from every device's IOTLB. */
    @Override
    public synchronized void invalidate(int pasid, long va, long length) {
        ensureOpen();
        checkPasid(pasid);
        if (length <= 0) {
            throw new IllegalArgumentException("invalidation of " + length + " bytes");
        }
        submit(flush(pasid, va, length));
    }

    /**
     * Linux's dev_flush_pasid_pages for every device: INVALIDATE_IOMMU_PAGES (GN, PDE) of the range, then
     * INVALIDATE_IOTLB_PAGES to each device (ATS is enabled in every entry); {@code length}
     * {@link Long#MAX_VALUE}: every page.
     */
    private List<Command> flush(int pasid, long va, long length) {
        List<Command> batch = new ArrayList<>();
        if (length == Long.MAX_VALUE) {
            batch.add(new Command.InvalidateIommuPages(DOMAIN, pasid, true, true, true, Command.ALL_PAGES_ADDRESS));
        } else {
            batch.add(Command.InvalidateIommuPages.of(DOMAIN, pasid, va, length));
        }
        for (RequesterId rid : devices) {
            batch.add(length == Long.MAX_VALUE
                    ? new Command.InvalidateIotlbPages(rid.value(), QUEUE_DEPTH, rid.value(), pasid, true, true, Command.ALL_PAGES_ADDRESS)
                    : Command.InvalidateIotlbPages.of(rid.value(), QUEUE_DEPTH, pasid, va, length));
        }
        return batch;
    }

    @Override
    public void setDeviceTimeoutHandler(java.util.function.Consumer<RequesterId> h) {
        timeoutHandler = java.util.Objects.requireNonNull(h, "device time-out handler");
    }

    @Override
    public void setPageRequestHandler(PageRequestHandler h) {
        handler = java.util.Objects.requireNonNull(h, "page request handler");
    }

    @Override
    public void clearPageRequestHandler(PageRequestHandler h) {
        if (handler == h) {
            handler = null;
        }
    }

    /** The unit's interrupt: page requests in the PPR log are answered. Events are read after each wait ({@link #submit}). */
    private void interrupt() {
        if ((registers.status() & AmdViRegisters.PPR_INT) != 0) {
            registers.clearStatus(AmdViRegisters.PPR_INT);
            servicePageRequests();
        }
    }

    /**
     * Reads the PPR log from its head to its tail, resolves each request (outside this driver's monitor:
     * the OS may unmap, and so invalidate, to bring a page in), answers each group whose last request
     * arrived with the worst response of its pages, and moves the head past them.
     */
    private void servicePageRequests() {
        synchronized (draining) {
            long size = (long) registers.pprLogEntries() * PprLogEntry.BYTES;
            long head = registers.pprHead();
            long tail = registers.pprTail();
            List<Command> responses = new ArrayList<>();
            for (; head != tail; head = (head + PprLogEntry.BYTES) % size) {
                PprLogEntry e = PprLogEntry.decode(new long[] {memory.readLong(pprLog + head), memory.readLong(pprLog + head + 8)});
                Access access = e.write() ? Access.WRITE : e.execute() ? Access.EXECUTE : Access.READ;
                PageResponse r = e.guest() && e.pasid() != 0 && e.pasid() <= maxPasid
                        ? OpenPageGroups.resolve(handler, new PageRequest(e.pasid(), e.address(), access))
                        : PageResponse.FAILURE; // a PASID out of range: as Linux's ppr.c answers it (the unit always sets GN)
                PageResponse worst = openGroups.add(e.deviceId(), e.groupIndex(), r, e.last());
                if (worst != null) {
                    responses.add(new Command.CompletePprRequest(e.deviceId(), e.pasid(), e.guest(), e.groupIndex(),
                            worst == PageResponse.SUCCESS ? Command.CompletePprRequest.SUCCESS
                                    : worst == PageResponse.INVALID ? Command.CompletePprRequest.INVALID : Command.CompletePprRequest.FAILURE));
                }
            }
            registers.setPprHead(head);
            if (!responses.isEmpty()) {
                synchronized (this) {
                    if (!closed) {
                        post(responses); // nothing waits on a response's delivery: no completion wait
                    }
                }
            }
        }
    }


    /**
     * Writes {@code batch} and a COMPLETION_WAIT storing the next sequence number, moves the tail, and
     * checks the store; then reads the event log for devices that timed out.
     *
     * @throws IllegalStateException naming the unit and the command the unit refused if it stopped
     */
    private void submit(List<Command> batch) {
        long value = ++sequence;
        List<Command> all = new ArrayList<>(batch);
        all.add(new Command.CompletionWait(true, false, semaphore, value));
        post(all);
        if (memory.readLong(semaphore) != value) {
            throw new IllegalStateException("IOMMU unit " + unit.unit() + ": the command buffer stopped: " + registers.commandError());
        }
        if (registers.eventHead() != registers.eventTail()) {
            serviceEvents();
        }
    }

    /**
     * Writes {@code commands} at the tail (waiting for room as Linux's iommu_queue_command does) and moves it.
     * A full buffer the unit does not empty has stopped: the rest is not written (it would overwrite the
     * command the unit stopped on), and the completion wait at its end never stores.
     */
    private void post(List<Command> commands) {
        long size = (long) registers.commandBufferEntries() * Command.BYTES;
        long tail = registers.commandTail();
        for (Command c : commands) {
            long[] w = c.encode();
            memory.writeLong(commandBuffer + tail, w[0]);
            memory.writeLong(commandBuffer + tail + 8, w[1]);
            tail = (tail + Command.BYTES) % size;
            if ((tail + Command.BYTES) % size == registers.commandHead()) {
                registers.setCommandTail(tail); // full: the unit runs what is there first
                if ((tail + Command.BYTES) % size == registers.commandHead()) {
                    return; // still full: the unit stopped
                }
            }
        }
        registers.setCommandTail(tail);
    }

    /** Reads the event log from head to tail: a device that timed out is reported and told to the handler. */
    private void serviceEvents() {
        long size = (long) registers.eventLogEntries() * Event.BYTES;
        long head = registers.eventHead();
        long tail = registers.eventTail();
        List<RequesterId> late = new ArrayList<>();
        for (; head != tail; head = (head + Event.BYTES) % size) {
            long[] w = {memory.readLong(eventLog + head), memory.readLong(eventLog + head + 8)};
            if ((w[0] >>> 60) == Event.IOTLB_INV_TIMEOUT) {
                late.add(RequesterId.of((int) w[0] & 0xFFFF));
            }
        }
        registers.setEventHead(head);
        registers.clearStatus(AmdViRegisters.EVT_INT | AmdViRegisters.EVT_OVERFLOW);
        for (RequesterId device : late) {
            LOG.log(System.Logger.Level.ERROR, "IOMMU unit " + unit.unit() + ": device " + device + " did not answer an IOTLB"
                    + " invalidation in time (IOTLB_INV_TIMEOUT); the unit refuses its translated requests until the device is reset");
            try {
                timeoutHandler.accept(device);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "device time-out handler: " + e);
            }
        }
    }

    private void checkPasid(int pasid) {
        if (pasid < Pasid.MIN || pasid > maxPasid) {
            throw new IllegalArgumentException("PASID " + pasid + " is outside " + Pasid.MIN + ".." + maxPasid
                    + " (IOMMU unit " + unit.unit() + ": PASmax and GLX " + GLX + ")");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the driver of IOMMU unit " + unit.unit() + " is closed");
        }
    }

    /** Disables the unit and gives every table's frames back. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        handler = null;
        try {
            registers.setDeviceArrival(null);
            registers.setInterrupt(null);
            submit(List.of(new Command.InvalidateIommuAll())); // nothing the unit caches outlives its tables
            registers.setControl(0);
        } catch (RuntimeException gone) {
            // the unit stopped with its bundle: its registers went with it
        }
        closed = true;
        for (long table : gcr3Tables.values()) {
            frames.free(table);
        }
        for (long f : new long[] {gcr3, semaphore, pprLog, eventLog, commandBuffer}) {
            frames.free(f);
        }
        for (int i = 0; i < DEVICE_TABLE_FRAMES; i++) {
            frames.free(deviceTable + 4096L * i);
        }
    }
}
