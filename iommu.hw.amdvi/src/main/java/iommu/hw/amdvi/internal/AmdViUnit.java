package iommu.hw.amdvi.internal;

import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.atomic.LongAdder;

import iommu.hw.Access;
import iommu.hw.Invalidation;
import iommu.hw.PageResponse;
import iommu.hw.RequesterId;
import iommu.hw.SystemMemory;
import iommu.hw.Translation;
import iommu.hw.amdvi.AmdViRegisters;
import iommu.hw.amdvi.Command;
import iommu.hw.amdvi.DeviceTableEntry;
import iommu.hw.amdvi.Event;
import iommu.hw.amdvi.ExtendedFeatures;
import iommu.hw.amdvi.PprLogEntry;
import iommu.hw.arch.ArchitectureUnit;
import iommu.hw.arch.DeviceScope;
import iommu.hw.arch.PageRequestGroups;
import iommu.hw.arch.UnitHardware;

/**
 * AMD-Vi's part of a unit: the device table and GCR3 tables it reads through its caches
 * ({@link DeviceTable}), the command buffer and what each command does to the unit, the event log, the
 * PPR log and the page request groups waiting for COMPLETE_PPR_REQUEST, and the registers software
 * programs. The command buffer runs on the thread that writes its tail (see {@link AmdViRegisters});
 * its lock is this object's monitor, which also guards the registers. The event and PPR logs have their
 * own lock ({@link #logs}); the interrupt runs outside both.
 */
public final class AmdViUnit implements ArchitectureUnit, AmdViRegisters {
    /**
     * What the unit supports: page requests, guest translation, INVALIDATE_IOMMU_ALL, one GCR3 level
     * beyond the first (GLX 1: 2^18 PASIDs) and 16-bit PASIDs (PASmax 15), as Linux's driver uses them.
     */
    static final ExtendedFeatures FEATURES = new ExtendedFeatures(true, false, true, true, 1, 15);

    private final UnitHardware hardware;
    private final SystemMemory memory;
    private final DeviceTable devices;
    private final Ring commands;
    private final Object logs = new Object();
    private final Ring events;
    private final Ring ppr;
    private final DeviceScope scope = new DeviceScope();
    private volatile Runnable interrupt;
    private volatile long control;
    private long status;
    /** Why the command buffer stopped (an illegal command), or null while it runs. */
    private String stopped;
    /** Page request groups waiting for COMPLETE_PPR_REQUEST (under {@link #logs}). */
    private final PageRequestGroups groups = new PageRequestGroups();
    private final LongAdder[] byOpcode = new LongAdder[16];
    private final LongAdder illegal = new LongAdder();
    private final LongAdder pageFaults = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder pageRequests = new LongAdder();
    private final LongAdder[] answered = {new LongAdder(), new LongAdder(), new LongAdder()};
    private final LongAdder pprOverflows = new LongAdder();
    private final LongAdder eventOverflows = new LongAdder();

    AmdViUnit(UnitHardware hardware) {
        this.hardware = hardware;
        this.memory = hardware.memory();
        this.devices = new DeviceTable(memory, FEATURES.glx(), FEATURES.maxPasid());
        this.commands = new Ring(memory, "command buffer");
        this.events = new Ring(memory, "event log");
        this.ppr = new Ring(memory, "PPR log");
        for (int i = 0; i < byOpcode.length; i++) {
            byOpcode[i] = new LongAdder();
        }
    }

    // ---- translation ----

    @Override
    public long root(int requesterId, int pasid) {
        return enabled() ? devices.root(requesterId, pasid) : ArchitectureUnit.fault(iommu.hw.FaultKind.NO_CONTEXT);
    }

    @Override
    public long read(int requesterId, int pasid) {
        return devices.read(requesterId, pasid);
    }

    /** IOMMU_EN and GT_EN: without them the unit translates nothing through guest tables. */
    private boolean enabled() {
        long c = control; // a racy read is a moment early or late, as a register write is
        return (c & (IOMMU_EN | GT_EN)) == (IOMMU_EN | GT_EN);
    }

    @Override
    public boolean pageRequestsEnabled(int requesterId) {
        return (control & PPR_EN) != 0 && devices.pageRequests(requesterId);
    }

    @Override
    public SortedMap<Integer, Long> boundPasids(int requesterId) {
        return devices.bound(requesterId);
    }

    @Override
    public void faulted(int requesterId, Translation.Fault fault) {
        iommu.hw.FaultKind kind = fault.kind();
        boolean permission = kind == iommu.hw.FaultKind.WRITE_PROTECTED || kind == iommu.hw.FaultKind.EXECUTE_PROTECTED
                || kind == iommu.hw.FaultKind.SUPERVISOR_ONLY;
        boolean reserved = kind == iommu.hw.FaultKind.RESERVED_BIT;
        log(new Event.IoPageFault(requesterId, fault.pasid(), true, fault.access() == Access.EXECUTE, true,
                permission || reserved, fault.access() == Access.WRITE, permission, reserved, fault.va() & ~0xFFFL));
        pageFaults.increment();
    }

    // ---- devices ----

    @Override
    public void deviceAdded(int requesterId) {
        scope.enter(RequesterId.of(requesterId));
    }

    @Override
    public List<RequesterId> deviceScope() {
        return scope.devices();
    }

    @Override
    public void setDeviceArrival(java.util.function.Consumer<RequesterId> arrival) {
        scope.setArrival(arrival);
    }

    // ---- registers ----

    @Override
    public AmdViRegisters registers() {
        return this;
    }

    @Override
    public long extendedFeatures() {
        return FEATURES.encode();
    }

    @Override
    public void setDeviceTable(long base, int size) {
        devices.setBase(base, size);
    }

    @Override
    public long deviceTable() {
        return devices.base();
    }

    @Override
    public int deviceTableEntries() {
        return devices.entries();
    }

    @Override
    public synchronized void setCommandBuffer(long base, int len) {
        commands.configure(base, len);
        stopped = null;
    }

    @Override
    public synchronized long commandBuffer() {
        return commands.base;
    }

    @Override
    public synchronized int commandBufferEntries() {
        return commands.entries;
    }

    @Override
    public void setEventLog(long base, int len) {
        synchronized (logs) {
            events.configure(base, len);
            status &= ~EVT_OVERFLOW;
        }
    }

    @Override
    public long eventLog() {
        synchronized (logs) {
            return events.base;
        }
    }

    @Override
    public int eventLogEntries() {
        synchronized (logs) {
            return events.entries;
        }
    }

    @Override
    public void setPprLog(long base, int len) {
        synchronized (logs) {
            ppr.configure(base, len);
            status &= ~PPR_OVERFLOW;
        }
    }

    @Override
    public long pprLog() {
        synchronized (logs) {
            return ppr.base;
        }
    }

    @Override
    public int pprLogEntries() {
        synchronized (logs) {
            return ppr.entries;
        }
    }

    @Override
    public synchronized void setControl(long value) {
        control = value;
        run();
    }

    @Override
    public synchronized long control() {
        return control;
    }

    @Override
    public long status() {
        synchronized (logs) {
            return status;
        }
    }

    @Override
    public void clearStatus(long bits) {
        synchronized (logs) {
            status &= ~bits;
        }
    }

    @Override
    public synchronized void setCommandTail(long offset) {
        commands.tail = commands.checked("tail", offset);
        run();
    }

    @Override
    public synchronized long commandHead() {
        return commands.head;
    }

    @Override
    public synchronized long commandTail() {
        return commands.tail;
    }

    @Override
    public synchronized String commandError() {
        return stopped;
    }

    @Override
    public void setEventHead(long offset) {
        synchronized (logs) {
            events.head = events.checked("head", offset);
        }
    }

    @Override
    public long eventHead() {
        synchronized (logs) {
            return events.head;
        }
    }

    @Override
    public long eventTail() {
        synchronized (logs) {
            return events.tail;
        }
    }

    @Override
    public void setPprHead(long offset) {
        synchronized (logs) {
            ppr.head = ppr.checked("head", offset);
        }
    }

    @Override
    public long pprHead() {
        synchronized (logs) {
            return ppr.head;
        }
    }

    @Override
    public long pprTail() {
        synchronized (logs) {
            return ppr.tail;
        }
    }

    @Override
    public void setInterrupt(Runnable interrupt) {
        this.interrupt = interrupt;
    }

    @Override
    public Stats stats() {
        return new Stats(byOpcode[Command.COMPLETION_WAIT].sum(), byOpcode[Command.INVALIDATE_DEVTAB_ENTRY].sum(),
                byOpcode[Command.INVALIDATE_IOMMU_PAGES].sum(), byOpcode[Command.INVALIDATE_IOTLB_PAGES].sum(),
                byOpcode[Command.COMPLETE_PPR_REQUEST].sum(), byOpcode[Command.INVALIDATE_IOMMU_ALL].sum(), illegal.sum(),
                pageFaults.sum(), timeouts.sum(), pageRequests.sum(), answered[0].sum(), answered[1].sum(), answered[2].sum(),
                pprOverflows.sum(), eventOverflows.sum());
    }

    // ---- the command buffer ----

    /** Runs the commands from head to tail while the unit and its command buffer are enabled and nothing stopped it. */
    private void run() {
        if ((control & (IOMMU_EN | CMDBUF_EN)) != (IOMMU_EN | CMDBUF_EN) || commands.base < 0) {
            return;
        }
        while (commands.head != commands.tail && stopped == null) {
            long at = commands.base + commands.head;
            Command c;
            try {
                c = Command.decode(commands.read(commands.head));
                apply(c, at);
            } catch (IllegalArgumentException refused) {
                stopped = String.format("command at 0x%x: %s", at, refused.getMessage());
                illegal.increment();
                log(new Event.IllegalCommand(at)); // the head stays on it (CmdBufRun clear)
                return;
            }
            byOpcode[c.opcode()].increment();
            commands.head = commands.next(commands.head);
        }
    }

    /** One command, in buffer order; {@code at}: its physical address. @throws IllegalArgumentException to refuse it */
    private void apply(Command c, long at) {
        if (c instanceof Command.CompletionWait w) {
            hardware.drain(); // every request that could use what the commands before removed has completed
            if (w.store()) {
                if (w.address() + 8 > memory.size()) {
                    throw new IllegalArgumentException(String.format("COMPLETION_WAIT: store address 0x%x is outside memory", w.address()));
                }
                memory.writeLong(w.address(), w.data());
            }
            if (w.interrupt()) {
                synchronized (logs) {
                    status |= COM_WAIT_INT;
                }
            }
        } else if (c instanceof Command.InvalidateDevtabEntry d) {
            devices.invalidateEntry(d.deviceId());
        } else if (c instanceof Command.InvalidateIommuPages p) {
            long[] range = p.range();
            if (p.guest()) {
                if (p.pde()) {
                    devices.invalidatePasid(p.pasid()); // the PASID's GCR3 entry, and the walk's upper levels
                }
                hardware.invalidateIotlb(range[1] == Long.MAX_VALUE ? new Invalidation.OfPasid(p.pasid())
                        : new Invalidation.OfRange(p.pasid(), range[0], range[1]));
            } else {
                // a domain's host translations: the model's one domain holds every PASID's, so all of them go
                // (a superset of what the command names, which is always safe)
                if (p.pde()) {
                    devices.invalidateGcr3();
                }
                hardware.invalidateIotlb(new Invalidation.All());
            }
        } else if (c instanceof Command.InvalidateIotlbPages i) {
            long[] range = i.range();
            int late = hardware.invalidateDeviceTlb(i.deviceId(), i.pasid(), range[0], range[1]);
            if (late >= 0) {
                timeouts.increment();
                log(new Event.IotlbInvalidationTimeout(late, at)); // processing goes on: software reads the log
            }
        } else if (c instanceof Command.CompletePprRequest r) {
            respond(r);
        } else if (c instanceof Command.InvalidateIommuAll) {
            devices.invalidateAll();
            hardware.invalidateIotlb(new Invalidation.All());
        }
        // INVALIDATE_INTERRUPT_TABLE: the unit remaps no interrupts
    }

    // ---- the event log and the PPR log ----

    /**
     * Writes {@code event} at the event log's tail if logging is enabled; a full log sets EVT_OVERFLOW
     * and drops it (and every event after it until software clears the bit). With EVT_INT_EN, EVT_INT is
     * set; the interrupt itself is not run (software reads the log after its completion waits), so that
     * no driver code runs inside the command buffer's processing.
     */
    private void log(Event event) {
        synchronized (logs) {
            if ((control & EVT_LOG_EN) == 0 || events.base < 0) {
                return;
            }
            if ((status & EVT_OVERFLOW) != 0 || events.free() == 0) {
                status |= EVT_OVERFLOW;
                eventOverflows.increment();
                return;
            }
            events.push(event.encode());
            if ((control & EVT_INT_EN) != 0) {
                status |= EVT_INT;
            }
        }
    }

    /**
     * A device's page request group: an entry per page at the PPR log's tail (the group's PRG index in
     * the tag, the last one marked), the interrupt, and the group's response once software answered with
     * COMPLETE_PPR_REQUEST; null when the log or the group indexes are full (PPR_OVERFLOW: the device
     * retries); FAILURE when software takes no page requests.
     */
    @Override
    public PageResponse pageRequest(int requesterId, int pasid, long va, int pages, Access access) {
        int group;
        synchronized (logs) {
            if ((control & (PPR_EN | PPRLOG_EN | PPRINT_EN)) != (PPR_EN | PPRLOG_EN | PPRINT_EN) || ppr.base < 0
                    || interrupt == null) {
                return PageResponse.FAILURE; // no software services page requests
            }
            group = ppr.free() < pages ? -1 : groups.open(requesterId);
            if (group < 0) {
                status |= PPR_OVERFLOW;
                pprOverflows.increment();
            } else {
                for (int p = 0; p < pages; p++) {
                    ppr.push(new PprLogEntry(requesterId, pasid, group, p == pages - 1, access != Access.WRITE,
                            access == Access.WRITE, access == Access.EXECUTE, true, true, (va & ~0xFFFL) + 4096L * p).encode());
                    pageRequests.increment();
                }
                status |= PPR_INT;
            }
        }
        Runnable handler = interrupt;
        if (handler != null) {
            handler.run(); // software drains the log (this group among it) and answers
        }
        if (group < 0) {
            return null;
        }
        synchronized (logs) {
            return groups.close(group);
        }
    }

    /**
     * COMPLETE_PPR_REQUEST: the waiting group gets its response. The status is the PCIe PRG response
     * code (0 success, 1 invalid request, 0xF response failure); any other value is a failure (Linux
     * passes its own enum, 2 for a failure).
     */
    private void respond(Command.CompletePprRequest r) {
        PageResponse response = r.status() == Command.CompletePprRequest.SUCCESS ? PageResponse.SUCCESS
                : r.status() == Command.CompletePprRequest.INVALID ? PageResponse.INVALID : PageResponse.FAILURE;
        synchronized (logs) {
            if (groups.answer(r.tag(), r.deviceId(), response)) { // else stale or another device's: dropped
                answered[response.ordinal()].increment();
            }
        }
    }

    // ---- the shell ----

    @Override
    public String describeDevices() {
        return AmdViDescriptions.devices(hardware.unit(), this, devices::raw);
    }

    @Override
    public String describePasid(int requesterId, int pasid) {
        return AmdViDescriptions.pasid(hardware.unit(), requesterId, pasid, devices.raw(requesterId),
                devices.gcr3Entry(requesterId, pasid));
    }

    @Override
    public String describeQueues() {
        return AmdViDescriptions.queues(hardware.unit(), this, commandError());
    }

    /** The entry of {@code requesterId} as memory holds it (for tests), or null outside the table. */
    public DeviceTableEntry deviceTableEntry(int requesterId) {
        return devices.raw(requesterId);
    }
}
